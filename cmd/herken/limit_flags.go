package main

// PLACEHOLDER: replaced by the helper that owns it.

type limitFlags struct{}

func (f *limitFlags) addFlags(e *envFlags) {}

func (f *limitFlags) validate() error { return nil }
