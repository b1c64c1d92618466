package main

// PLACEHOLDER: replaced by the helper that owns it.

type obsFlags struct{}

func (f *obsFlags) addFlags(e *envFlags) {}

func (f *obsFlags) validate() error { return nil }
