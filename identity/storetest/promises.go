package storetest

// promiseTests cover promises and their indexes.
var promiseTests = []storeTest{}
