package storetest

// historyTests cover ListInteractions, feedback and retention.
var historyTests = []storeTest{}
