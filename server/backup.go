package server

// PLACEHOLDER: the backup helper replaces this file.

import (
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type backupServer struct {
	herkenv1.UnimplementedBackupServiceServer
	*Server
}
