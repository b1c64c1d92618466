package main

// PLACEHOLDER: replaced by the helper that owns it.

type encryptionFlags struct{}

func (f *encryptionFlags) addFlags(e *envFlags) {}

func (f *encryptionFlags) validate(inMemory bool) error { return nil }
