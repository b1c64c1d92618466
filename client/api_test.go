package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/herken/herken/client"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/audit"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/store/memstore"
)

func newService(t *testing.T) *herken.Service {
	t.Helper()
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	return herken.NewService(memstore.New(memstore.Options{}), norm, herken.ServiceConfig{})
}

func mustCustomer(t *testing.T, c *client.Client, name, phone string) *herkenv1.Customer {
	t.Helper()
	cust, err := c.CreateCustomer(context.Background(), &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: name}, Identifiers: []*herkenv1.Identifier{client.Phone(phone)}})
	if err != nil {
		t.Fatal(err)
	}
	return cust
}

// TestTypedMethods calls every typed method of the interaction, promise,
// recognition and admin services against a real server (customers.go's
// are in TestCustomerLifecycle).
func TestTypedMethods(t *testing.T) {
	svc := newService(t)
	rec, err := audit.New(svc, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close(context.Background()) })
	c := serveService(t, svc, server.Config{Audit: rec})
	ctx := context.Background()

	jan := mustCustomer(t, c, "Jan de Vries", "06-12345678")
	got, err := c.GetCustomer(ctx, jan.GetName())
	if err != nil || !proto.Equal(got, jan) {
		t.Fatalf("GetCustomer: %v %v", got, err)
	}
	if list, err := c.ListCustomers(ctx, &herkenv1.ListCustomersRequest{}); err != nil || len(list.GetCustomers()) != 1 {
		t.Fatalf("ListCustomers: %v %v", list, err)
	}

	// Recognition.
	found, err := c.Lookup(ctx, &herkenv1.LookupRequest{Identifier: client.Query("0612345678")})
	if err != nil || found.GetCustomer().GetCustomer().GetName() != jan.GetName() {
		t.Fatalf("Lookup: %v %v", found, err)
	}
	res, err := c.Resolve(ctx, &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{
		client.Phone("+31612345678"), client.Email("onbekend@example.nl")}})
	if err != nil || res.GetCustomer().GetCustomer().GetName() != jan.GetName() || len(res.GetMatches()) != 2 {
		t.Fatalf("Resolve: %v %v", res, err)
	}
	for _, id := range []*herkenv1.Identifier{client.ExternalID("K-1"), client.SocialHandle(herkenv1.SocialPlatform_SOCIAL_PLATFORM_X, "@jan"),
		client.PostalAddress("1234 AB", 10, "")} {
		if r, err := c.Lookup(ctx, &herkenv1.LookupRequest{Identifier: id}); err != nil || r.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND {
			t.Errorf("Lookup %v: %v %v", id, r, err)
		}
	}

	// Interactions: three, paged one at a time.
	var names []string
	for i := range 3 {
		in, err := c.RecordInteraction(ctx, &herkenv1.RecordInteractionRequest{
			Customer: &herkenv1.RecordInteractionRequest_Identifier{Identifier: client.Phone("06-12345678")},
			Interaction: &herkenv1.Interaction{Channel: herkenv1.Channel_CHANNEL_PHONE, Direction: herkenv1.Direction_DIRECTION_INBOUND,
				Outcome: herkenv1.InteractionOutcome_INTERACTION_OUTCOME_RESOLVED, Summary: fmt.Sprintf("gesprek %d", i),
				OccurTime: timestamppb.New(time.Now().Add(time.Duration(i-10) * time.Minute))}})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, in.GetName())
	}
	slices.Reverse(names) // newest first
	var listed []string
	for in, err := range c.AllInteractions(ctx, &herkenv1.ListInteractionsRequest{Parent: jan.GetName(), PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, in.GetName())
	}
	if !slices.Equal(listed, names) {
		t.Fatalf("AllInteractions: %q, want %q", listed, names)
	}
	if page, err := c.ListInteractions(ctx, &herkenv1.ListInteractionsRequest{Parent: jan.GetName(), PageSize: 2}); err != nil || len(page.GetInteractions()) != 2 || page.GetNextPageToken() == "" {
		t.Fatalf("ListInteractions: %v %v", page, err)
	}
	fb, err := c.SubmitFeedback(ctx, names[0], 4, "snel geholpen")
	if err != nil || fb.GetFeedback().GetScore() != 4 {
		t.Fatalf("SubmitFeedback: %v %v", fb, err)
	}
	ans, err := c.AnswerFeedback(ctx, names[0], "dank u", "agent-7")
	if err != nil || ans.GetFeedback().GetAnswer() != "dank u" {
		t.Fatalf("AnswerFeedback: %v %v", ans, err)
	}
	if _, err := c.AnswerFeedback(ctx, names[0], "nogmaals", "agent-7"); !errors.Is(err, client.ErrFeedbackAlreadyAnswered) {
		t.Fatalf("AnswerFeedback twice: %v", err)
	}

	// Promises.
	callback := func() *herkenv1.CreatePromiseRequest {
		return &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan.GetName()},
			Promise: &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK}}
	}
	p1, err := c.CreatePromise(ctx, callback())
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.CreatePromise(ctx, callback())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetPromise(ctx, p1.GetName()); err != nil || !proto.Equal(got, p1) {
		t.Fatalf("GetPromise: %v %v", got, err)
	}
	if kept, err := c.KeepPromise(ctx, p1.GetName(), "agent-7", "teruggebeld"); err != nil || kept.GetState() != herkenv1.PromiseState_PROMISE_STATE_KEPT {
		t.Fatalf("KeepPromise: %v %v", kept, err)
	}
	if cc, err := c.CancelPromise(ctx, p2.GetName(), "agent-7", ""); err != nil || cc.GetState() != herkenv1.PromiseState_PROMISE_STATE_CANCELLED {
		t.Fatalf("CancelPromise: %v %v", cc, err)
	}
	if _, err := c.CancelPromise(ctx, p1.GetName(), "agent-7", ""); !errors.Is(err, client.ErrPromiseNotOpen) || !errors.Is(err, client.ErrFailedPrecondition) {
		t.Fatalf("CancelPromise of a kept promise: %v", err)
	}
	var promises []string
	for p, err := range c.AllPromises(ctx, &herkenv1.ListPromisesRequest{Parent: jan.GetName(), PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		promises = append(promises, p.GetName())
	}
	if len(promises) != 2 {
		t.Fatalf("AllPromises: %q", promises)
	}
	if page, err := c.ListPromises(ctx, &herkenv1.ListPromisesRequest{Parent: jan.GetName()}); err != nil || len(page.GetPromises()) != 2 {
		t.Fatalf("ListPromises: %v %v", page, err)
	}

	// Admin.
	if _, err := c.GetMaintenanceStatus(ctx); err != nil {
		t.Fatalf("GetMaintenanceStatus: %v", err)
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var trail []*herkenv1.AuditRecord
	for r, err := range c.AllAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: jan.GetName(), PageSize: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		trail = append(trail, r)
	}
	if len(trail) < 10 {
		t.Fatalf("AllAuditRecords: %d records, want one per call above", len(trail))
	}
	if page, err := c.ListAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: jan.GetName(), PageSize: 3}); err != nil || len(page.GetAuditRecords()) != 3 || page.GetNextPageToken() == "" {
		t.Fatalf("ListAuditRecords: %v %v", page, err)
	}
	_, _, err = c.BackupTo(ctx, io.Discard)
	if !errors.Is(err, client.ErrBackupUnsupported) {
		t.Fatalf("BackupTo of an in-memory store: %v", err)
	}
}

// TestErrorMapping: errors of a few RPCs come back as *client.Error that
// errors.Is matches on their code and their reason, with the text the CLI
// prints; the stubs' errors too, and status.Code still sees the code.
func TestErrorMapping(t *testing.T) {
	c, store := serveHerken(t, server.Config{})
	ctx := context.Background()
	jan := mustCustomer(t, c, "Jan de Vries", "06-12345678")
	kees := mustCustomer(t, c, "Kees Bakker", "06-11112222")
	if _, err := c.UpdateCustomer(ctx, &herkenv1.Customer{Name: kees.GetName(), DisplayName: "Kees"}); err != nil {
		t.Fatal(err)
	}
	erased := mustCustomer(t, c, "Weg", "06-22223333")
	if _, err := c.EraseCustomer(ctx, erased.GetName()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		call         func() error
		code, reason *client.Error
		text         string
	}{
		{"GetCustomer unknown", func() error {
			_, err := c.GetCustomer(ctx, "customers/0000000000000000")
			return err
		}, client.ErrNotFound, client.ErrCustomerNotFound, "customer not found (NOT_FOUND / CUSTOMER_NOT_FOUND)"},
		{"ExportCustomer erased", func() error {
			_, err := c.ExportCustomer(ctx, erased.GetName())
			return err
		}, client.ErrNotFound, client.ErrCustomerErased, "(NOT_FOUND / CUSTOMER_ERASED)"},
		{"GetPromise unknown", func() error {
			_, err := c.GetPromise(ctx, jan.GetName()+"/promises/0000000000000000")
			return err
		}, client.ErrNotFound, client.ErrPromiseNotFound, "(NOT_FOUND / PROMISE_NOT_FOUND)"},
		{"LookupPhone invalid", func() error {
			_, err := c.LookupPhone(ctx, "12")
			return err
		}, client.ErrInvalidArgument, client.ErrPhoneNumberInvalid, "identifier.phone_number: "},
		{"stub Lookup invalid", func() error {
			_, err := c.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: client.Email("geen-adres")})
			return err
		}, client.ErrInvalidArgument, client.ErrEmailInvalid, "(INVALID_ARGUMENT / EMAIL_INVALID)"},
		{"MergeCustomers into self", func() error {
			_, err := c.MergeCustomers(ctx, jan.GetName(), jan.GetName())
			return err
		}, client.ErrInvalidArgument, client.ErrMergeIntoSelf, "(INVALID_ARGUMENT / MERGE_INTO_SELF)"},
		{"UpdateCustomer stale etag", func() error {
			_, err := c.UpdateCustomer(ctx, &herkenv1.Customer{Name: kees.GetName(), DisplayName: "K", Etag: kees.GetEtag()})
			return err
		}, client.ErrAborted, client.ErrEtagMismatch, "(ABORTED / ETAG_MISMATCH)"},
		{"AddIdentifier held by another", func() error {
			_, err := c.AddIdentifier(ctx, jan.GetName(), client.ExternalID("K-1"), client.Provenance{})
			if err != nil {
				return err
			}
			_, err = c.AddIdentifier(ctx, kees.GetName(), client.ExternalID("K-1"), client.Provenance{})
			return err
		}, client.ErrAlreadyExists, client.ErrIdentifierAlreadyLinked, "(ALREADY_EXISTS / IDENTIFIER_ALREADY_LINKED)"},
		{"ListCustomers forged token", func() error {
			for _, err := range c.AllCustomers(ctx, &herkenv1.ListCustomersRequest{}) {
				if err != nil {
					return err
				}
			}
			_, err := c.ListCustomers(ctx, &herkenv1.ListCustomersRequest{PageToken: "forged"})
			return err
		}, client.ErrInvalidArgument, client.ErrPageTokenInvalid, "(INVALID_ARGUMENT / PAGE_TOKEN_INVALID)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ce *client.Error
			if !errors.As(err, &ce) {
				t.Fatalf("%T %v is no *client.Error", err, err)
			}
			if !errors.Is(err, tc.code) || !errors.Is(err, tc.reason) {
				t.Errorf("%v: not %v and %v", err, tc.code, tc.reason)
			}
			if errors.Is(err, client.ErrUnavailable) || errors.Is(err, client.ErrRateLimited) || ce.Retryable() {
				t.Errorf("%v matches what it is not", err)
			}
			if !strings.Contains(err.Error(), tc.text) || strings.HasPrefix(err.Error(), "herken") {
				t.Errorf("Error() = %q, want it to contain %q", err, tc.text)
			}
			if status.Code(err) != tc.code.Code || client.Reason(err) != tc.reason.Reason {
				t.Errorf("status.Code = %v, Reason = %q", status.Code(err), client.Reason(err))
			}
		})
	}

	// A closed store: UNAVAILABLE, retryable.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetCustomer(ctx, jan.GetName())
	if !errors.Is(err, client.ErrUnavailable) || !errors.Is(err, client.ErrStoreUnavailable) || !client.Retryable(err) {
		t.Fatalf("on a closed store: %v", err)
	}
}

// TestErrorText: the format the CLI prints, and sentinels matching each
// other as their codes say.
func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  *client.Error
		want string
	}{
		{&client.Error{Code: codes.NotFound, Reason: "CUSTOMER_NOT_FOUND", Message: "customer not found"}, "customer not found (NOT_FOUND / CUSTOMER_NOT_FOUND)"},
		{&client.Error{Code: codes.DeadlineExceeded, Message: "context deadline exceeded"}, "context deadline exceeded (DEADLINE_EXCEEDED)"},
		{&client.Error{Code: codes.Unavailable}, "unavailable (UNAVAILABLE)"},
		{&client.Error{Code: codes.Canceled, Message: "x"}, "x (CANCELLED)"},
		{client.ErrRateLimited, "rate limit of this API key exceeded (RESOURCE_EXHAUSTED / RATE_LIMITED)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if !errors.Is(client.ErrCustomerErased, client.ErrNotFound) || errors.Is(client.ErrNotFound, client.ErrCustomerErased) ||
		errors.Is(client.ErrCustomerErased, client.ErrCustomerNotFound) || errors.Is(client.ErrNotFound, client.ErrUnavailable) {
		t.Error("sentinels match wrongly")
	}
	if !errors.Is(&client.Error{Code: codes.DeadlineExceeded}, context.DeadlineExceeded) || !errors.Is(&client.Error{Code: codes.Canceled}, context.Canceled) ||
		errors.Is(&client.Error{Code: codes.Canceled}, context.DeadlineExceeded) {
		t.Error("context errors match wrongly")
	}
	if client.CodeName(codes.Code(99)) != "Code(99)" {
		t.Errorf("CodeName(99) = %q", client.CodeName(codes.Code(99)))
	}
}

// TestAPIKeyAndScopes: WithAPIKey reaches a server with keys (plaintext
// over bufconn); a missing, wrong or under-scoped key comes back typed.
func TestAPIKeyAndScopes(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "keys")
	lookupKey, err := auth.Create(keysFile, "pbx-1", []auth.Scope{auth.ScopeLookup}, false)
	if err != nil {
		t.Fatal(err)
	}
	writeKey, err := auth.Create(keysFile, "crm-1", []auth.Scope{auth.ScopeLookup, auth.ScopeWrite}, false)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := auth.Load(keysFile, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ring.Close() })
	srv, err := server.New(newService(t), server.Config{Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	srv.SetServing(true)
	t.Cleanup(srv.Shutdown)
	ctx := context.Background()

	create := func(c *client.Client) error {
		_, err := c.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Jan"}})
		return err
	}
	for _, tc := range []struct {
		name       string
		opts       []client.Option
		code, want *client.Error
	}{
		{"no key", nil, client.ErrUnauthenticated, client.ErrAPIKeyMissing},
		{"wrong key", []client.Option{client.WithAPIKey("not-a-key")}, client.ErrUnauthenticated, client.ErrAPIKeyInvalid},
		{"lookup key writing", []client.Option{client.WithAPIKey(lookupKey)}, client.ErrPermissionDenied, client.ErrScopeMissing},
		{"write key", []client.Option{client.WithAPIKey(writeKey)}, nil, nil},
	} {
		err := create(dialBufconn(t, lis, tc.opts...))
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.code) || !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// The lookup key may look up.
	if _, err := dialBufconn(t, lis, client.WithAPIKey(lookupKey)).LookupPhone(ctx, "06-12345678"); err != nil {
		t.Errorf("lookup key looking up: %v", err)
	}
	// Without New: the credentials on a connection made elsewhere.
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(client.APIKeyCredentials(writeKey)))
	if err != nil {
		t.Fatal(err)
	}
	if err := create(client.NewFromConn(conn)); err != nil {
		t.Errorf("NewFromConn with APIKeyCredentials: %v", err)
	}
	conn.Close()
}

// TestRateLimited: RATE_LIMITED carries its RetryInfo delay and is
// retryable.
func TestRateLimited(t *testing.T) {
	c := serveService(t, newService(t), server.Config{Limits: server.Limits{Rate: 1, Burst: 1, QueueWait: -1}})
	ctx := context.Background()
	var err error
	for range 3 {
		if _, err = c.LookupPhone(ctx, "06-12345678"); err != nil {
			break
		}
	}
	var ce *client.Error
	if !errors.As(err, &ce) || !errors.Is(err, client.ErrRateLimited) || !errors.Is(err, client.ErrResourceExhausted) || ce.RetryDelay <= 0 || !ce.Retryable() {
		t.Fatalf("over the rate: %+v", err)
	}
}

// TestImportCustomers against the real server: one result per record in
// order, a re-run changes nothing, more than MaxImportRecords is refused
// before anything is sent.
func TestImportCustomers(t *testing.T) {
	c := serveService(t, newService(t), server.Config{})
	ctx := context.Background()
	var records []*herkenv1.ImportRecord
	for i := range 1500 {
		records = append(records, &herkenv1.ImportRecord{ExternalId: fmt.Sprintf("K-%05d", i), DisplayName: fmt.Sprintf("Klant %d", i),
			HandoverNote: strings.Repeat("notitie ", 100), // ~800 bytes: the records need several messages
			Identifiers:  []*herkenv1.ImportIdentifier{{Identifier: client.Phone(fmt.Sprintf("06-2%07d", i))}}})
	}
	resp, err := c.ImportCustomers(ctx, nil, records)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCreated() != 1500 || len(resp.GetResults()) != 1500 {
		t.Fatalf("import: created %d, %d results", resp.GetCreated(), len(resp.GetResults()))
	}
	again, err := c.ImportCustomers(ctx, &herkenv1.ImportSettings{Source: "crm"}, records)
	if err != nil || again.GetUnchanged() != 1500 {
		t.Fatalf("re-run: %d unchanged, %v", again.GetUnchanged(), err)
	}
	last, err := c.LookupPhone(ctx, "06-20001499")
	if err != nil || last.GetCustomer().GetCustomer().GetDisplayName() != "Klant 1499" || last.GetCustomer().GetCustomer().GetName() != resp.GetResults()[1499].GetCustomer() {
		t.Fatalf("lookup of the last record: %v %v", last, err)
	}
	if _, err := c.ImportCustomers(ctx, &herkenv1.ImportSettings{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"no_such_field"}}}, records[:1]); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("bad settings: %v", err)
	}

	big := make([]*herkenv1.ImportRecord, client.MaxImportRecords+1)
	_, err = c.ImportCustomers(ctx, nil, big)
	var ce *client.Error
	if !errors.As(err, &ce) || !errors.Is(err, client.ErrTooManyValues) || ce.Metadata["limit"] != "10000" {
		t.Fatalf("over the limit: %v", err)
	}
}

// importRecorder is a CustomerService that records the messages of an
// import stream.
type importRecorder struct {
	herkenv1.UnimplementedCustomerServiceServer
	mu    sync.Mutex
	sizes []int
	first *herkenv1.ImportSettings
	later bool // settings on a later message
	n     int
}

func (r *importRecorder) ImportCustomers(stream grpc.ClientStreamingServer[herkenv1.ImportCustomersRequest, herkenv1.ImportCustomersResponse]) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; ; i++ {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&herkenv1.ImportCustomersResponse{Created: int64(r.n)})
		}
		if err != nil {
			return err
		}
		if i == 0 {
			r.first = req.GetSettings()
		} else if req.GetSettings() != nil {
			r.later = true
		}
		r.sizes = append(r.sizes, proto.Size(req))
		r.n += len(req.GetRecords())
	}
}

// fakeServer serves the given registrations over bufconn with the
// server's message limit.
func fakeServer(t *testing.T, register func(*grpc.Server)) *bufconn.Listener {
	t.Helper()
	s := grpc.NewServer(grpc.MaxRecvMsgSize(1 << 20))
	register(s)
	lis := bufconn.Listen(1 << 20)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis
}

// TestImportMessages: records go in messages under the server's 1 MiB
// limit, settings in the first only, every record once.
func TestImportMessages(t *testing.T) {
	rec := &importRecorder{}
	lis := fakeServer(t, func(s *grpc.Server) { herkenv1.RegisterCustomerServiceServer(s, rec) })
	c := dialBufconn(t, lis)
	records := make([]*herkenv1.ImportRecord, client.MaxImportRecords)
	for i := range records {
		records[i] = &herkenv1.ImportRecord{ExternalId: fmt.Sprintf("K-%d", i), HandoverNote: strings.Repeat("x", 1000)}
	}
	settings := &herkenv1.ImportSettings{Source: "crm", ValidateOnly: true}
	resp, err := c.ImportCustomers(context.Background(), settings, records)
	if err != nil || resp.GetCreated() != int64(len(records)) {
		t.Fatalf("import: %v %v", resp, err)
	}
	if !proto.Equal(rec.first, settings) || rec.later || len(rec.sizes) < 10 {
		t.Fatalf("settings %v, later %v, %d messages", rec.first, rec.later, len(rec.sizes))
	}
	for _, n := range rec.sizes {
		if n > client.ImportMessageBytes {
			t.Fatalf("message of %d bytes, over %d", n, client.ImportMessageBytes)
		}
	}
	// No records: one message with the settings.
	rec.sizes, rec.n = nil, 0
	if _, err := c.ImportCustomers(context.Background(), settings, nil); err != nil || len(rec.sizes) != 1 || !proto.Equal(rec.first, settings) {
		t.Fatalf("empty import: %d messages, %v", len(rec.sizes), err)
	}
}

// slowRecognition answers nothing until the call's context ends, and
// reports the deadline each call arrived with.
type slowRecognition struct {
	herkenv1.UnimplementedRecognitionServiceServer
	deadlines chan time.Duration // remaining time at arrival; 0: none
}

func (s *slowRecognition) Lookup(ctx context.Context, _ *herkenv1.LookupRequest) (*herkenv1.LookupResponse, error) {
	var left time.Duration
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	s.deadlines <- left
	if left == 0 {
		return &herkenv1.LookupResponse{}, nil
	}
	<-ctx.Done()
	return nil, status.FromContextError(ctx.Err()).Err()
}

// slowBackup sends one chunk and then waits for the call's context.
type slowBackup struct {
	herkenv1.UnimplementedBackupServiceServer
	deadlines chan time.Duration
}

func (s *slowBackup) Backup(_ *herkenv1.BackupRequest, stream grpc.ServerStreamingServer[herkenv1.BackupResponse]) error {
	var left time.Duration
	if d, ok := stream.Context().Deadline(); ok {
		left = time.Until(d)
	}
	s.deadlines <- left
	if err := stream.Send(&herkenv1.BackupResponse{Data: []byte("chunk"), SnapshotTime: timestamppb.Now()}); err != nil {
		return err
	}
	if left == 0 {
		return nil
	}
	<-stream.Context().Done()
	return status.FromContextError(stream.Context().Err()).Err()
}

// TestTimeouts: a unary call without a deadline gets the default (10s) or
// WithTimeout's; the caller's own deadline wins; WithTimeout(0) sets none.
// Streams get one only WithStreamTimeout.
func TestTimeouts(t *testing.T) {
	rec := &slowRecognition{deadlines: make(chan time.Duration, 10)}
	bak := &slowBackup{deadlines: make(chan time.Duration, 10)}
	lis := fakeServer(t, func(s *grpc.Server) {
		herkenv1.RegisterRecognitionServiceServer(s, rec)
		herkenv1.RegisterBackupServiceServer(s, bak)
	})
	ctx := context.Background()

	// The default: 10s (the call is cancelled at once, not waited for).
	arrived := make(chan time.Duration, 1)
	cctx, cancel := context.WithCancel(ctx)
	go func() { d := <-rec.deadlines; arrived <- d; cancel() }()
	_, err := dialBufconn(t, lis).LookupPhone(cctx, "06-12345678")
	if d := <-arrived; d <= 9*time.Second || d > client.DefaultTimeout {
		t.Errorf("default deadline: %v left, want about %v", d, client.DefaultTimeout)
	}
	if !errors.Is(err, client.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}

	short := dialBufconn(t, lis, client.WithTimeout(100*time.Millisecond))
	start := time.Now()
	_, err = short.LookupPhone(ctx, "06-12345678")
	if !errors.Is(err, client.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) || !client.Retryable(err) {
		t.Errorf("WithTimeout(100ms): %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("WithTimeout(100ms) took %v", el)
	}
	if d := <-rec.deadlines; d <= 0 || d > 100*time.Millisecond {
		t.Errorf("WithTimeout(100ms): %v left on arrival", d)
	}

	// The caller's deadline wins, also a longer one.
	dctx, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel2()
	_, err = short.LookupPhone(dctx, "06-12345678")
	if d := <-rec.deadlines; d <= 100*time.Millisecond || !errors.Is(err, client.ErrDeadlineExceeded) {
		t.Errorf("own deadline of 300ms: %v left on arrival, %v", d, err)
	}

	// WithTimeout(0): none.
	if _, err := dialBufconn(t, lis, client.WithTimeout(0)).LookupPhone(ctx, "06-12345678"); err != nil {
		t.Errorf("WithTimeout(0): %v", err)
	}
	if d := <-rec.deadlines; d != 0 {
		t.Errorf("WithTimeout(0): a deadline of %v", d)
	}

	// Streams: none by default, even WithTimeout; WithStreamTimeout's.
	var buf bytes.Buffer
	snap, n, err := short.BackupTo(ctx, &buf)
	if err != nil || n != 5 || buf.String() != "chunk" || snap.IsZero() {
		t.Errorf("BackupTo: %v %d %q %v", snap, n, buf.String(), err)
	}
	if d := <-bak.deadlines; d != 0 {
		t.Errorf("stream without WithStreamTimeout: a deadline of %v", d)
	}
	_, _, err = dialBufconn(t, lis, client.WithStreamTimeout(100*time.Millisecond)).BackupTo(ctx, io.Discard)
	if d := <-bak.deadlines; d <= 0 || d > 100*time.Millisecond || !errors.Is(err, client.ErrDeadlineExceeded) {
		t.Errorf("WithStreamTimeout(100ms): %v left on arrival, %v", d, err)
	}
}

// TestWaitForReady: New waits for the connection WithWaitForReady, and
// fails UNAVAILABLE when there is none within ctx.
func TestWaitForReady(t *testing.T) {
	lis := fakeServer(t, func(s *grpc.Server) {})
	dial := client.WithDialOptions(grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	c, err := client.New(context.Background(), "passthrough:///bufnet", dial, client.WithWaitForReady())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := client.New(ctx, addr, client.WithWaitForReady()); !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("New to a closed port: %v", err)
	}
	// Without it New does not connect, and the call fails.
	c, err = client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.LookupPhone(context.Background(), "06-12345678"); !errors.Is(err, client.ErrUnavailable) || !client.Retryable(err) {
		t.Fatalf("call to a closed port: %v", err)
	}
}
