package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/internal/badinput"
	"github.com/herken/herken/server/poplink"
	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/memstore"
)

// fixedNow is the server's clock in every test unless withClock says
// otherwise, so times in responses are deterministic. It is the bad-input
// table's clock too.
var fixedNow = badinput.Now

func fixedClock() time.Time { return fixedNow }

// testLinks is a screen pop signer with a fixed secret.
func testLinks(t testing.TB) *poplink.Signer {
	t.Helper()
	s, err := poplink.NewSigner([]byte("herken screen pop test secret 32"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testServer is one herken server over bufconn, backed by a real Badger
// store (or, withMemory, the memory store), with generated clients
// connected to it.
type testServer struct {
	Srv   *server.Server
	Svc   *herken.Service
	Store *badgerstore.Store // nil on the memory store
	Mem   *memstore.Store    // nil on Badger
	// data is whichever store serves: what digest and Close use.
	data interface {
		Digest() ([]byte, error)
		Close() error
	}
	Conn         *grpc.ClientConn
	Recognition  herkenv1.RecognitionServiceClient
	Customers    herkenv1.CustomerServiceClient
	Interactions herkenv1.InteractionServiceClient
	ScreenPop    herkenv1.ScreenPopServiceClient
	Health       healthpb.HealthClient
	// Links is the signer of the server's screen pop links.
	Links *poplink.Signer

	closeOnce sync.Once
	served    chan error
}

type testConfig struct {
	dir     string
	memory  bool
	noServe bool
	// noScreenPop serves without a screen pop signer.
	noScreenPop bool
	now         func() time.Time
	cfg         server.Config
	register    []func(*grpc.Server)
}

type testOption func(*testConfig)

// withDir stores data on disk in dir instead of in memory.
func withDir(dir string) testOption { return func(c *testConfig) { c.dir = dir } }

// withMemory serves from the memory store instead of Badger.
func withMemory() testOption { return func(c *testConfig) { c.memory = true } }

// storeKinds are the stores a test runs on (forEachStore): every one the
// server ships with.
var storeKinds = []struct {
	name string
	opts []testOption
}{{"badger", nil}, {"memory", []testOption{withMemory()}}}

// forEachStore runs fn as a subtest per store kind, with the options that
// select it.
func forEachStore(t *testing.T, fn func(t *testing.T, opts ...testOption)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) { fn(t, k.opts...) })
	}
}

// withoutServing leaves health NOT_SERVING, as server.New does.
func withoutServing() testOption { return func(c *testConfig) { c.noServe = true } }

// withClock replaces the fixed clock.
func withClock(now func() time.Time) testOption { return func(c *testConfig) { c.now = now } }

// withLogger sends the server's logs to l.
func withLogger(l *slog.Logger) testOption { return func(c *testConfig) { c.cfg.Logger = l } }

// withService registers an extra service on the *grpc.Server before it serves.
func withService(fn func(*grpc.Server)) testOption {
	return func(c *testConfig) { c.register = append(c.register, fn) }
}

// newTestServer builds store → normaliser → service → server, serves it on
// bufconn, marks it SERVING and registers cleanup (connection, server, store).
func newTestServer(t testing.TB, opts ...testOption) *testServer {
	t.Helper()
	tc := testConfig{now: fixedClock}
	for _, o := range opts {
		o(&tc)
	}
	ts := &testServer{served: make(chan error, 1)}
	var store herken.Store
	if tc.memory {
		ts.Mem = memstore.New(memstore.Options{Now: tc.now})
		store, ts.data = ts.Mem, ts.Mem
	} else {
		storeOpts := badgerstore.Options{InMemory: true}
		if tc.dir != "" {
			storeOpts = badgerstore.Options{Dir: tc.dir, SyncWrites: true}
		}
		b, err := badgerstore.Open(storeOpts)
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		ts.Store, store, ts.data = b, b, b
	}
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		ts.data.Close()
		t.Fatalf("normalizer: %v", err)
	}
	svc := herken.NewService(store, norm, herken.ServiceConfig{Now: tc.now})
	if tc.cfg.ScreenPop.Signer == nil && !tc.noScreenPop {
		ts.Links = testLinks(t)
		tc.cfg.ScreenPop = server.ScreenPop{Signer: ts.Links, PageURL: "https://herken.test"}
	}
	ts.Links = tc.cfg.ScreenPop.Signer
	if tc.cfg.Limits == (server.Limits{}) {
		// Tests call faster than any key may by default (the fuzz targets,
		// the bad-input table); limits_test.go sets limits to test them.
		tc.cfg.Limits.Unlimited = true
	}
	srv, err := server.New(svc, tc.cfg)
	if err != nil {
		ts.data.Close()
		t.Fatalf("server.New: %v", err)
	}
	for _, fn := range tc.register {
		fn(srv.GRPC())
	}

	lis := bufconn.Listen(1 << 20)
	ts.Srv, ts.Svc = srv, svc
	go func() { ts.served <- srv.Serve(lis) }()
	if !tc.noServe {
		srv.SetServing(true)
	}

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		srv.Shutdown()
		ts.data.Close()
		t.Fatalf("dial bufconn: %v", err)
	}
	ts.Conn = conn
	ts.Recognition = herkenv1.NewRecognitionServiceClient(conn)
	ts.Customers = herkenv1.NewCustomerServiceClient(conn)
	ts.Interactions = herkenv1.NewInteractionServiceClient(conn)
	ts.ScreenPop = herkenv1.NewScreenPopServiceClient(conn)
	ts.Health = healthpb.NewHealthClient(conn)
	t.Cleanup(func() { ts.Close(t) })
	return ts
}

// Close closes the client connection, shuts the server down and closes the
// store. It is idempotent; cleanup calls it too.
func (ts *testServer) Close(t testing.TB) {
	ts.closeOnce.Do(func() {
		ts.Conn.Close()
		ts.Srv.Shutdown()
		if err := <-ts.served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			t.Errorf("Serve: %v", err)
		}
		if err := ts.data.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
}

// digest is the store's content hash.
func (ts *testServer) digest(t testing.TB) []byte {
	t.Helper()
	d, err := ts.data.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d
}

// unchanged runs fn and fails the test when the store's content changed.
func (ts *testServer) unchanged(t testing.TB, fn func()) {
	t.Helper()
	before := ts.digest(t)
	fn()
	if after := ts.digest(t); !bytes.Equal(before, after) {
		t.Errorf("store changed: a rejected request wrote data")
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---- names ----

// idPattern is what an id looks like from outside: opaque, 1 to 64
// lowercase letters and digits (herken.ValidID), whatever the store mints.
const idPattern = `[0-9a-z]{1,64}`

var (
	customerNameRE    = regexp.MustCompile(`^customers/` + idPattern + `$`)
	interactionNameRE = regexp.MustCompile(`^customers/` + idPattern + `/interactions/` + idPattern + `$`)
	promiseNameRE     = regexp.MustCompile(`^customers/` + idPattern + `/promises/` + idPattern + `$`)
)

// herkenServices is every service of the herken.v1 API, read from the
// descriptors of its proto files: what the server must serve.
func herkenServices(t testing.TB) []protoreflect.ServiceDescriptor {
	t.Helper()
	var out []protoreflect.ServiceDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("herken.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			out = append(out, fd.Services().Get(i))
		}
		return true
	})
	if len(out) == 0 {
		t.Fatal("no herken.v1 service descriptors registered")
	}
	return out
}

// herkenMethods is the full method name of every herken.v1 RPC.
func herkenMethods(t testing.TB) []string {
	var out []string
	for _, sd := range herkenServices(t) {
		for i := range sd.Methods().Len() {
			out = append(out, "/"+string(sd.FullName())+"/"+string(sd.Methods().Get(i).Name()))
		}
	}
	return out
}

// ---- identifiers ----

var (
	phone  = badinput.Phone
	email  = badinput.Email
	social = badinput.Social
	extID  = badinput.ExtID
	postal = badinput.Postal
	query  = badinput.Query
)

func canon(kind herkenv1.IdentifierKind, value string) *herkenv1.CanonicalIdentifier {
	return &herkenv1.CanonicalIdentifier{Kind: kind, Value: value}
}

func canonSocial(p herkenv1.SocialPlatform, value string) *herkenv1.CanonicalIdentifier {
	return &herkenv1.CanonicalIdentifier{Kind: herkenv1.IdentifierKind_IDENTIFIER_KIND_SOCIAL_HANDLE, Value: value, Platform: p}
}

func stamp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// ---- status assertions ----

// wantErr is an expected error status. field, when set, is the field path:
// for INVALID_ARGUMENT the first BadRequest field violation and ErrorInfo
// metadata "field"; for other codes ErrorInfo metadata "field".
type wantErr struct {
	code   codes.Code
	reason string
	field  string
}

// statusDetails pulls ErrorInfo and BadRequest out of err.
func statusDetails(err error) (*status.Status, *errdetails.ErrorInfo, *errdetails.BadRequest) {
	st := status.Convert(err)
	var info *errdetails.ErrorInfo
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.BadRequest:
			br = d
		}
	}
	return st, info, br
}

// checkErr asserts err is the status want describes, with ErrorInfo in the
// herken.v1 domain, and returns the ErrorInfo for further checks.
func checkErr(t testing.TB, err error, want wantErr) *errdetails.ErrorInfo {
	t.Helper()
	if err == nil {
		t.Fatalf("got OK, want %s / %s", want.code, want.reason)
	}
	st, info, br := statusDetails(err)
	if st.Code() != want.code {
		t.Errorf("code = %s, want %s (message %q)", st.Code(), want.code, st.Message())
	}
	if info == nil {
		t.Fatalf("status %s %q carries no ErrorInfo", st.Code(), st.Message())
	}
	if info.GetDomain() != server.ErrorDomain || info.GetDomain() != "herken.v1" {
		t.Errorf("ErrorInfo.domain = %q, want herken.v1", info.GetDomain())
	}
	if info.GetReason() != want.reason {
		t.Errorf("ErrorInfo.reason = %q, want %q (message %q)", info.GetReason(), want.reason, st.Message())
	}
	// Every INVALID_ARGUMENT carries BadRequest; an empty field is the
	// request as a whole.
	if st.Code() == codes.InvalidArgument {
		if br == nil || len(br.GetFieldViolations()) == 0 {
			t.Errorf("INVALID_ARGUMENT without BadRequest field violations")
		} else {
			fv := br.GetFieldViolations()[0]
			if fv.GetField() != want.field {
				t.Errorf("field violation field = %q, want %q", fv.GetField(), want.field)
			}
			if fv.GetReason() != want.reason {
				t.Errorf("field violation reason = %q, want %q", fv.GetReason(), want.reason)
			}
			if fv.GetDescription() == "" {
				t.Errorf("field violation has no description")
			}
		}
	}
	if want.field != "" {
		if got := info.GetMetadata()["field"]; got != want.field {
			t.Errorf("ErrorInfo.metadata[field] = %q, want %q", got, want.field)
		}
	}
	return info
}

// allErrorText is every human-readable string an error status carries: the
// message, ErrorInfo metadata and field violations.
func allErrorText(err error) string {
	st, info, br := statusDetails(err)
	parts := []string{st.Message()}
	for k, v := range info.GetMetadata() {
		parts = append(parts, k, v)
	}
	for _, fv := range br.GetFieldViolations() {
		parts = append(parts, fv.GetField(), fv.GetDescription(), fv.GetReason())
	}
	return strings.Join(parts, "\n")
}

// ---- fixture ----

// fixture is the data most tests start from: Jan with a mobile number,
// email, X handle, CRM id, postal address and the household landline, twelve
// interactions; Anna sharing the landline, with one more recent interaction.
type fixture struct {
	jan, anna *herkenv1.Customer
	// janHistory is Jan's interactions in recording order (oldest first).
	janHistory []*herkenv1.Interaction
	annaLast   *herkenv1.Interaction
}

const landline = badinput.Landline

// janFirstContact is the occur time of Jan's oldest interaction; the i-th
// is i hours later.
var janFirstContact = fixedNow.Add(-48 * time.Hour)

func createCustomer(t testing.TB, s *testServer, c *herkenv1.Customer, ids ...*herkenv1.Identifier) *herkenv1.Customer {
	t.Helper()
	resp, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{Customer: c, Identifiers: ids})
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	return resp.GetCustomer()
}

func record(t testing.TB, s *testServer, req *herkenv1.RecordInteractionRequest) *herkenv1.Interaction {
	t.Helper()
	resp, err := s.Interactions.RecordInteraction(ctxT(t), req)
	if err != nil {
		t.Fatalf("RecordInteraction: %v", err)
	}
	return resp.GetInteraction()
}

func byParent(name string, in *herkenv1.Interaction) *herkenv1.RecordInteractionRequest {
	return &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: name}, Interaction: in}
}

func byIdentifier(id *herkenv1.Identifier, in *herkenv1.Interaction) *herkenv1.RecordInteractionRequest {
	return &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Identifier{Identifier: id}, Interaction: in}
}

// call is a valid interaction at occur.
func call(occur time.Time, ch herkenv1.Channel, summary string) *herkenv1.Interaction {
	return &herkenv1.Interaction{
		Channel:   ch,
		Direction: herkenv1.Direction_DIRECTION_INBOUND,
		Outcome:   herkenv1.InteractionOutcome_INTERACTION_OUTCOME_RESOLVED,
		OccurTime: stamp(occur),
		Agent:     "agent-042",
		Summary:   summary,
	}
}

func seed(t testing.TB, s *testServer) fixture {
	t.Helper()
	var f fixture
	f.jan = createCustomer(t, s, &herkenv1.Customer{DisplayName: "Jan de Vries", PreferredLanguage: "nl", Tags: []string{"vip"}},
		phone("06-12345678"),
		email("Jan@Example.NL"),
		social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_X, "@JanDeVries"),
		extID("K-100001"),
		postal("1234 AB", 10, ""),
		phone(landline),
	)
	f.anna = createCustomer(t, s, &herkenv1.Customer{DisplayName: "Anna de Vries"},
		email("anna@example.nl"),
		phone("020 123 45 67"), // the same landline, written differently
		extID("K-100002"),
	)

	// Twelve interactions for Jan over several channels, alternately by
	// resource name and by one of his identifiers, oldest first.
	channels := []herkenv1.Channel{
		herkenv1.Channel_CHANNEL_PHONE, herkenv1.Channel_CHANNEL_EMAIL, herkenv1.Channel_CHANNEL_SOCIAL,
		herkenv1.Channel_CHANNEL_CHAT, herkenv1.Channel_CHANNEL_WHATSAPP, herkenv1.Channel_CHANNEL_SMS,
	}
	byID := []*herkenv1.Identifier{
		phone("+31 6 12345678"), email("jan@example.nl"), social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_X, "jandevries"),
		query("crm:K-100001"), postal("1234ab", 10, ""), query("0612345678"),
	}
	for i := 0; i < 12; i++ {
		in := call(janFirstContact.Add(time.Duration(i)*time.Hour), channels[i%len(channels)], "contact "+string(rune('A'+i)))
		var req *herkenv1.RecordInteractionRequest
		if i%2 == 0 {
			req = byParent(f.jan.GetName(), in)
		} else {
			req = byIdentifier(byID[i/2], in)
		}
		f.janHistory = append(f.janHistory, record(t, s, req))
	}
	f.annaLast = record(t, s, byParent(f.anna.GetName(), call(fixedNow.Add(-1*time.Hour), herkenv1.Channel_CHANNEL_EMAIL, "vraag over factuur")))
	return f
}

// janLast is the occur time of Jan's newest seeded interaction.
func janLast() time.Time { return janFirstContact.Add(11 * time.Hour) }

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkProto fails when got differs from want.
func checkProto(t testing.TB, what string, want, got proto.Message) {
	t.Helper()
	if !proto.Equal(want, got) {
		t.Errorf("%s:\n got: %s\nwant: %s", what, prototext.Format(got), prototext.Format(want))
	}
}

// checkProtos fails when got differs from want, element by element.
func checkProtos[M proto.Message](t testing.TB, what string, want, got []M) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: got %d elements, want %d:\n got: %v\nwant: %v", what, len(got), len(want), got, want)
		return
	}
	for i := range want {
		checkProto(t, fmt.Sprintf("%s[%d]", what, i), want[i], got[i])
	}
}
