package main

// PLACEHOLDER: replaced by the helper that owns it.

type tlsFlags struct{}

func (f *tlsFlags) addFlags(e *envFlags) {}

func (f *tlsFlags) validate() error { return nil }
