package herken

// FoldNameSlow is FoldName without its ASCII fast path (FuzzFoldName).
var FoldNameSlow = foldFull
