package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/store/badgerstore"
)

// TestHealth: the server as a whole ("") and every herken.v1 service of
// the API report the server's state.
func TestHealth(t *testing.T) {
	s := newTestServer(t)
	services := []string{""}
	for _, sd := range herkenServices(t) {
		services = append(services, string(sd.FullName()))
	}
	check := func(want healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		for _, svc := range services {
			resp, err := s.Health.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: svc})
			if err != nil {
				t.Fatalf("Check(%q): %v", svc, err)
			}
			if resp.GetStatus() != want {
				t.Errorf("Check(%q) = %s, want %s", svc, resp.GetStatus(), want)
			}
		}
	}
	check(healthpb.HealthCheckResponse_SERVING)
	s.Srv.SetServing(false)
	check(healthpb.HealthCheckResponse_NOT_SERVING)
	s.Srv.SetServing(true)
	check(healthpb.HealthCheckResponse_SERVING)

	_, err := s.Health.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: "herken.v1.NoSuchService"})
	if got := codeOf(err); got != codes.NotFound {
		t.Errorf("Check(unknown service) = %s, want NotFound", got)
	}
}

// TestHealthLifecycle: a new server reports NOT_SERVING until SetServing
// (the store is ready); after Shutdown it takes no more calls.
func TestHealthLifecycle(t *testing.T) {
	s := newTestServer(t, withoutServing())
	resp, err := s.Health.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: "herken.v1.RecognitionService"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("before SetServing: %s, want NOT_SERVING", resp.GetStatus())
	}
	s.Srv.SetServing(true)
	s.Srv.Shutdown()
	_, err = s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	if got := codeOf(err); got != codes.Unavailable {
		t.Errorf("Lookup after Shutdown: %s, want Unavailable", got)
	}
}

func mustNormalizer(t *testing.T) *identity.Normalizer {
	n, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReflection: reflection lists every service the server serves — each
// herken.v1 service of the API's proto files, health and reflection — and
// resolves each herken.v1 service's descriptors, so grpcurl can describe
// the whole API.
func TestReflection(t *testing.T) {
	s := newTestServer(t)
	stream, err := reflectionpb.NewServerReflectionClient(s.Conn).ServerReflectionInfo(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	ask := func(req *reflectionpb.ServerReflectionRequest) *reflectionpb.ServerReflectionResponse {
		t.Helper()
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := ask(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	})
	var names []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	want := []string{healthpb.Health_ServiceDesc.ServiceName, reflectionpb.ServerReflection_ServiceDesc.ServiceName}
	for _, sd := range herkenServices(t) {
		want = append(want, string(sd.FullName()))
	}
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("reflection lists %v, missing %s", names, w)
		}
	}

	for _, sd := range herkenServices(t) {
		resp := ask(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: string(sd.FullName())},
		})
		if len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
			t.Errorf("no file descriptor for %s: %v", sd.FullName(), resp.GetErrorResponse())
		}
	}
}

// panicService is a test-only service whose methods panic, registered next
// to the herken services so it runs through the same interceptors.
const panicService = "herken.test.PanicService"

func registerPanicService(g *grpc.Server) {
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: panicService,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Panic",
			Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				in := new(emptypb.Empty)
				if err := dec(in); err != nil {
					return nil, err
				}
				h := func(context.Context, any) (any, error) { panic("boom: caller +31612345678") }
				if interceptor == nil {
					return h(ctx, in)
				}
				return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + panicService + "/Panic"}, h)
			},
		}},
		Streams: []grpc.StreamDesc{{
			StreamName:    "PanicStream",
			ServerStreams: true,
			Handler:       func(any, grpc.ServerStream) error { panic("stream boom") },
		}},
	}, struct{}{})
}

func TestRecoveryInterceptor(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, withService(registerPanicService), withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))

	t.Run("unary", func(t *testing.T) {
		err := s.Conn.Invoke(ctxT(t), "/"+panicService+"/Panic", &emptypb.Empty{}, &emptypb.Empty{})
		checkErr(t, err, wantErr{codes.Internal, "INTERNAL", ""})
		if text := allErrorText(err); strings.Contains(text, "boom") || strings.Contains(text, "12345678") {
			t.Errorf("INTERNAL status leaks the panic: %s", text)
		}
	})
	t.Run("stream", func(t *testing.T) {
		stream, err := s.Conn.NewStream(ctxT(t), &grpc.StreamDesc{ServerStreams: true}, "/"+panicService+"/PanicStream")
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.SendMsg(&emptypb.Empty{}); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		stream.CloseSend()
		err = stream.RecvMsg(&emptypb.Empty{})
		checkErr(t, err, wantErr{codes.Internal, "INTERNAL", ""})
	})
	t.Run("server keeps serving", func(t *testing.T) {
		if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); err != nil {
			t.Errorf("Lookup after panics: %v", err)
		}
	})
	t.Run("panics are logged at ERROR", func(t *testing.T) {
		lines := logLines(t, logs.String())
		var panics, internal int
		for _, l := range lines {
			if l["msg"] == "panic in handler" && l["level"] == "ERROR" {
				panics++
			}
			if l["grpc.code"] == "Internal" && l["level"] == "ERROR" {
				internal++
			}
		}
		if panics != 2 || internal != 2 {
			t.Errorf("%d panic lines and %d INTERNAL call lines, want 2 and 2:\n%s", panics, internal, logs.String())
		}
	})
}

func logLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// TestLoggingInterceptor: exactly one line per RPC at DEBUG (successful
// calls) or above, with method, code, duration, key and request id, and
// never the identifier the client sent.
func TestLoggingInterceptor(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))

	tests := []struct {
		name    string
		call    func() error
		method  string
		code    codes.Code
		secrets []string
	}{
		{"lookup found", func() error {
			_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
			return err
		}, "Lookup", codes.OK, []string{"12345678"}},
		{"lookup invalid", func() error {
			_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-1234567")})
			return err
		}, "Lookup", codes.InvalidArgument, []string{"1234567"}},
		{"resolve", func() error {
			_, err := s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{email("jan.geheim@example.nl")}})
			return err
		}, "Resolve", codes.OK, []string{"geheim"}},
		{"create", func() error {
			_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
				Customer:    &herkenv1.Customer{DisplayName: "Geheime Naam"},
				Identifiers: []*herkenv1.Identifier{phone("06-12345678"), email("jan.geheim@example.nl")},
			})
			return err
		}, "CreateCustomer", codes.OK, []string{"12345678", "Geheime", "geheim"}},
		{"create conflict", func() error {
			_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
				Identifiers: []*herkenv1.Identifier{extID("K-GEHEIM"), extID("K-GEHEIM")},
			})
			if err != nil {
				return err
			}
			_, err = s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{extID("K-GEHEIM")}})
			return err
		}, "CreateCustomer", codes.AlreadyExists, []string{"GEHEIM"}},
		{"record", func() error {
			_, err := s.Interactions.RecordInteraction(ctxT(t), byIdentifier(phone("+31 6 12345678"), call(fixedNow, herkenv1.Channel_CHANNEL_PHONE, "geheime klacht")))
			return err
		}, "RecordInteraction", codes.OK, []string{"12345678", "geheim"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logLines(t, logs.String()))
			err := tc.call()
			if got := codeOf(err); got != tc.code {
				t.Fatalf("code = %s, want %s (%v)", got, tc.code, err)
			}
			all := logLines(t, logs.String())
			lines := all[before:]
			if tc.name == "create conflict" {
				lines = lines[1:] // the first, successful create
			}
			if len(lines) != 1 {
				t.Fatalf("%d log lines for one RPC, want 1:\n%s", len(lines), logs.String())
			}
			l := lines[0]
			if m, _ := l["method"].(string); !strings.HasSuffix(m, "/"+tc.method) || l["grpc.code"] != tc.code.String() {
				t.Errorf("log line has method %v code %v, want %s %s: %v", l["method"], l["grpc.code"], tc.method, tc.code, l)
			}
			for _, key := range []string{"duration", "key", "request_id"} {
				if _, ok := l[key]; !ok {
					t.Errorf("log line lacks %s: %v", key, l)
				}
			}
			for _, secret := range tc.secrets {
				if strings.Contains(strings.ToLower(logs.String()), strings.ToLower(secret)) {
					t.Errorf("log contains personal data %q:\n%s", secret, logs.String())
				}
			}
		})
	}
}

// TestPersistence runs against Badger on disk: what one server wrote, the
// next one over the same directory reads.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	s1 := newTestServer(t, withDir(dir))
	f := seed(t, s1)
	digest := s1.digest(t)
	s1.Close(t)

	s2 := newTestServer(t, withDir(dir))
	if got := s2.digest(t); string(got) != string(digest) {
		t.Errorf("digest changed across a restart")
	}
	resp, err := s2.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678"), InteractionLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetOutcome() != found {
		t.Fatalf("outcome = %s after restart", resp.GetOutcome())
	}
	checkProto(t, "customer after restart", lookupCustomer(t, s2, f.jan.GetName()), resp.GetCustomer().GetCustomer())
	checkRecent(t, resp.GetCustomer().GetRecentInteractions(), f.janHistory, 100)
	got, err := s2.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: f.anna.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCustomer().GetEtag() != f.anna.GetEtag() || !got.GetCustomer().GetLastContactTime().AsTime().Equal(fixedNow.Add(-time.Hour)) {
		t.Errorf("Anna after restart: %v", got.GetCustomer())
	}
	// An idempotency key survives the restart too.
	req := &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{extID("K-RESTART")}, RequestId: "restart-1"}
	first, err := s2.Customers.CreateCustomer(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close(t)
	s3 := newTestServer(t, withDir(dir))
	again, err := s3.Customers.CreateCustomer(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetCustomer().GetName() != first.GetCustomer().GetName() {
		t.Errorf("retry after restart created %s, want %s", again.GetCustomer().GetName(), first.GetCustomer().GetName())
	}
}

func lookupCustomer(t *testing.T, s *testServer, name string) *herkenv1.Customer {
	t.Helper()
	resp, err := s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetCustomer()
}

// TestStoreClosed: a store that cannot serve is UNAVAILABLE /
// STORE_UNAVAILABLE for reads and writes, never INTERNAL.
func TestStoreClosed(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	if err := s.Store.Close(); err != nil {
		t.Fatal(err)
	}
	// Close again in cleanup must not fail the test: reopen a throw-away store.
	s.Store = mustStore(t)
	s.data = s.Store

	_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: f.jan.GetName()})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Interactions.RecordInteraction(ctxT(t), byParent(f.jan.GetName(), call(fixedNow, herkenv1.Channel_CHANNEL_PHONE, "")))
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Nieuw"}})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Customers.ListCustomers(ctxT(t), &herkenv1.ListCustomersRequest{})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Customers.UpdateCustomer(ctxT(t), &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: f.jan.GetName(), DisplayName: "Jan"}})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Customers.MergeCustomers(ctxT(t), &herkenv1.MergeCustomersRequest{Survivor: f.jan.GetName(), Merged: f.anna.GetName()})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Customers.EraseCustomer(ctxT(t), &herkenv1.EraseCustomerRequest{Name: f.jan.GetName()})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
	_, err = s.Customers.ExportCustomer(ctxT(t), &herkenv1.ExportCustomerRequest{Name: f.jan.GetName()})
	checkErr(t, err, wantErr{codes.Unavailable, "STORE_UNAVAILABLE", ""})
}

func mustStore(t *testing.T) *badgerstore.Store {
	st, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestDeadline: a request whose deadline passes before the server's code
// is done is DEADLINE_EXCEEDED, and a write writes nothing. No client can
// send one (grpc-go answers an expired deadline on the client, and its
// server transport answers one before any handler runs), so the RPCs run
// in process, through the server's interceptors and handlers
// (server.CallInProcess), with a deadline that has passed: the store
// refuses the work with the context's error, and the server must pass it
// on, not turn it into INTERNAL or UNAVAILABLE.
func TestDeadline(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	f := seed(t, s)
	jan := f.jan.GetName()
	tests := []struct {
		method string
		req    proto.Message
	}{
		{herkenv1.RecognitionService_Lookup_FullMethodName, &herkenv1.LookupRequest{Identifier: phone("06-12345678")}},
		{herkenv1.CustomerService_GetCustomer_FullMethodName, &herkenv1.GetCustomerRequest{Name: jan}},
		{herkenv1.CustomerService_CreateCustomer_FullMethodName, &herkenv1.CreateCustomerRequest{
			Customer: &herkenv1.Customer{DisplayName: "Nieuw"}, Identifiers: []*herkenv1.Identifier{email("nieuw@example.nl")}}},
		{herkenv1.InteractionService_RecordInteraction_FullMethodName, byParent(jan, call(fixedNow, herkenv1.Channel_CHANNEL_PHONE, "terugbelverzoek"))},
		{herkenv1.InteractionService_ListInteractions_FullMethodName, &herkenv1.ListInteractionsRequest{Parent: jan}},
		{herkenv1.CustomerService_UpdateCustomer_FullMethodName, &herkenv1.UpdateCustomerRequest{
			Customer: &herkenv1.Customer{Name: jan, HandoverNote: "belt liever 's ochtends"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"handover_note"}}}},
		{herkenv1.CustomerService_ListCustomers_FullMethodName, &herkenv1.ListCustomersRequest{DisplayNamePrefix: "de vries"}},
		{herkenv1.CustomerService_AddIdentifier_FullMethodName, &herkenv1.AddIdentifierRequest{Customer: jan, Identifier: email("jan@werk.nl"), Label: "werk"}},
		{herkenv1.CustomerService_ExportCustomer_FullMethodName, &herkenv1.ExportCustomerRequest{Name: jan}},
		{herkenv1.PromiseService_CreatePromise_FullMethodName, &herkenv1.CreatePromiseRequest{
			Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}, Promise: callback(fixedNow.Add(time.Hour), "", "")}},
	}
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, tc := range tests {
		t.Run(tc.method[strings.LastIndex(tc.method, "/")+1:], func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := server.CallInProcess(expired, s.Srv, tc.method, tc.req)
				if got := codeOf(err); got != codes.DeadlineExceeded {
					t.Errorf("code = %s (%v), want DeadlineExceeded", got, err)
				}
			})
			// The same call in time succeeds: the deadline made the difference.
			if _, err := server.CallInProcess(ctxT(t), s.Srv, tc.method, tc.req); err != nil {
				t.Errorf("in time: %v", err)
			}
		})
	}
	// The server's own log line says so too.
	var exceeded int
	for _, l := range logLines(t, logs.String()) {
		if l["grpc.code"] == codes.DeadlineExceeded.String() {
			exceeded++
		}
	}
	if exceeded != len(tests) {
		t.Errorf("%d log lines with code DeadlineExceeded, want %d:\n%s", exceeded, len(tests), logs.String())
	}
}

func TestConfigValidate(t *testing.T) {
	s := newTestServer(t)
	svc := herken.NewService(s.Store, mustNormalizer(t), herken.ServiceConfig{})
	tests := []struct {
		name string
		cfg  server.Config
		ok   bool
	}{
		{"zero value", server.Config{}, true},
		{"4 KiB", server.Config{MaxRecvMsgBytes: 4 << 10}, true},
		{"below 4 KiB", server.Config{MaxRecvMsgBytes: 4<<10 - 1}, false},
		{"negative size", server.Config{MaxRecvMsgBytes: -1}, false},
		{"negative timeout", server.Config{ShutdownTimeout: -time.Second}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := server.New(svc, tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("New(%+v) error = %v, want ok=%v", tc.cfg, err, tc.ok)
			}
			if srv != nil {
				srv.Shutdown()
			}
		})
	}
}

// TestMaxRecvMsgBytes: an oversized request is refused before it is decoded.
// (gRPC itself answers, so the status carries no ErrorInfo.)
func TestMaxRecvMsgBytes(t *testing.T) {
	s := newTestServer(t)
	s.unchanged(t, func() {
		_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
			Customer: &herkenv1.Customer{HandoverNote: strings.Repeat("x", 1<<20)},
		})
		if got := codeOf(err); got != codes.ResourceExhausted {
			t.Errorf("code = %s, want ResourceExhausted", got)
		}
	})
}

func codeOf(err error) codes.Code {
	st, _, _ := statusDetails(err)
	return st.Code()
}
