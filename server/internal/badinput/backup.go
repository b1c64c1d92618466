package badinput

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const mBackup = herkenv1.BackupService_Backup_FullMethodName

// backupRows are the rows of BackupService.Backup. BackupRequest has no
// fields to get wrong, so the rows are about requests that do not decode
// (the codec's INVALID_ARGUMENT, answered before the handler runs) and one
// too big for gRPC, as for GetMaintenanceStatus. They are all raw bytes,
// so they add no corpus seed (FuzzBackupRequest has its own).
func backupRows(Fixture) []Row {
	inv := codes.InvalidArgument
	huge := mustMarshal(&herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{HandoverNote: strings.Repeat("x", 2<<20)}})
	return []Row{
		{Name: "not protobuf", Method: mBackup, Raw: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "truncated field", Method: mBackup, Raw: protowire.AppendTag(nil, 1, protowire.BytesType), Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "group end without start", Method: mBackup, Raw: protowire.AppendTag(nil, 5, protowire.EndGroupType), Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "2 MiB request", Method: mBackup, Raw: huge, Want: Want{Code: codes.ResourceExhausted}, GRPCOwn: true},
	}
}
