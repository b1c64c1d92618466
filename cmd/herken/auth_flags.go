package main

// PLACEHOLDER: replaced by the helper that owns it.

type authFlags struct{}

func (f *authFlags) addFlags(e *envFlags) {}

func (f *authFlags) validate(addr string) error { return nil }
