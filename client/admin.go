package client

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// MaintenanceService, AuditService and BackupService: for operators. The
// audit trail and backups need a key with the admin scope.

// GetMaintenanceStatus reports the background sweepers (promises,
// retention, audit).
func (c *Client) GetMaintenanceStatus(ctx context.Context) (*herkenv1.GetMaintenanceStatusResponse, error) {
	return c.Maintenance.GetMaintenanceStatus(ctx, &herkenv1.GetMaintenanceStatusRequest{})
}

// ListAuditRecords returns one page of a customer's audit trail, newest
// first; AllAuditRecords walks every page.
func (c *Client) ListAuditRecords(ctx context.Context, req *herkenv1.ListAuditRecordsRequest) (*herkenv1.ListAuditRecordsResponse, error) {
	return c.Audit.ListAuditRecords(ctx, req)
}

// AllAuditRecords yields a customer's whole audit trail, page after page
// (req's page_size; its page_token is ignored). It stops at the first
// error, which it yields.
func (c *Client) AllAuditRecords(ctx context.Context, req *herkenv1.ListAuditRecordsRequest) iter.Seq2[*herkenv1.AuditRecord, error] {
	req = cloneOf(req)
	return pages(func(token string) ([]*herkenv1.AuditRecord, string, error) {
		page := cloneOf(req)
		page.PageToken = token
		resp, err := c.Audit.ListAuditRecords(ctx, page)
		return resp.GetAuditRecords(), resp.GetNextPageToken(), err
	})
}

// ErrEmptyBackup is BackupTo's error when the server ended the backup
// stream without sending anything.
var ErrEmptyBackup = errors.New("the server sent an empty backup")

// BackupTo streams an online backup of the whole store into w (the file
// `herken restore` reads) and returns when its snapshot was taken and how
// many bytes it wrote. The stream has no deadline unless ctx has one or
// the client was made WithStreamTimeout. (The stub is Client.Backup.)
func (c *Client) BackupTo(ctx context.Context, w io.Writer) (snapshot time.Time, n int64, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if writing fails
	stream, err := c.Backup.Backup(ctx, &herkenv1.BackupRequest{})
	if err != nil {
		return time.Time{}, 0, err
	}
	for first := true; ; first = false {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if first {
				return time.Time{}, 0, ErrEmptyBackup
			}
			return snapshot, n, nil
		}
		if err != nil {
			return time.Time{}, n, err
		}
		if first {
			snapshot = resp.GetSnapshotTime().AsTime()
		}
		k, err := w.Write(resp.GetData())
		n += int64(k)
		if err != nil {
			return time.Time{}, n, err
		}
	}
}
