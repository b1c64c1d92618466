package main

// PLACEHOLDER: replaced by the helper that owns it.

type auditFlags struct{}

func (f *auditFlags) addFlags(e *envFlags) {}

func (f *auditFlags) validate() error { return nil }
