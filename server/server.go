// Package server serves herken over gRPC: it translates and validates
// requests, calls the domain's Service (package herken), and maps errors
// to statuses in one place (errors.go). It holds no business rules and
// never touches storage. It imports gRPC, go-grpc-middleware, the generated
// API, the domain (herken), identity and internal/maintenance (the
// sweepers' status it reports); never a store package.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"time"

	"github.com/herken/herken"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"

	"github.com/herken/herken/internal/maintenance"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/metrics"
)

// Config configures the gRPC layer. The zero value is usable: no
// authentication, no TLS, no audit, no metrics, default limits.
type Config struct {
	// Logger receives one line per failed or slow RPC (method, code,
	// duration, key name, request id; successful calls at debug level) and
	// internal errors. Never request payloads. nil discards.
	Logger *slog.Logger
	// MaxRecvMsgBytes bounds a request; default 1 MiB, far above any valid
	// request, so oversized input is refused before it is decoded.
	MaxRecvMsgBytes int
	// ShutdownTimeout bounds GracefulStop before in-flight RPCs are cut off;
	// default 10s.
	ShutdownTimeout time.Duration
	// Maintenance reports the background sweepers for MaintenanceService;
	// nil reports nothing (no sweepers run).
	Maintenance func() (promises, retention, audit maintenance.Status)

	// Keys authenticates callers (authorization: Bearer <key>, or a client
	// certificate that stands for a key) and holds their scopes. nil serves
	// without authentication: every caller is herken.AnonymousActor with
	// every scope (the command line allows that on loopback only).
	Keys *auth.Keyring
	// Creds are the transport credentials (TLS, tlsfiles); nil serves
	// plaintext.
	Creds credentials.TransportCredentials
	// Audit receives one record per customer whose data a call read or
	// changed; nil records nothing.
	Audit AuditRecorder
	// Metrics collects Prometheus metrics; nil collects none.
	Metrics *metrics.Metrics
	// Limits protect the server from one caller's excess.
	Limits Limits
	// SlowCall is the duration above which a successful call is logged at
	// WARN; default 250ms.
	SlowCall time.Duration
	// Tracing, if set, is installed as the gRPC stats handler
	// (OpenTelemetry); nil traces nothing.
	Tracing stats.Handler
	// ScreenPop signs and opens the agents' screen pop links; its zero
	// value serves no screen pop.
	ScreenPop ScreenPop
}

// AuditRecorder takes audit records off the request path (internal/audit
// buffers them and writes them in batches).
type AuditRecorder interface {
	Record(herken.AuditRecord)
}

// Validate checks c and fills defaults.
func (c *Config) Validate() error {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxRecvMsgBytes == 0 {
		c.MaxRecvMsgBytes = 1 << 20
	}
	if c.MaxRecvMsgBytes < 4<<10 {
		return fmt.Errorf("server: MaxRecvMsgBytes %d is below 4 KiB", c.MaxRecvMsgBytes)
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout < 0 {
		return errors.New("server: ShutdownTimeout must not be negative")
	}
	if c.SlowCall == 0 {
		c.SlowCall = 250 * time.Millisecond
	}
	if c.SlowCall < 0 {
		return errors.New("server: SlowCall must not be negative")
	}
	if err := c.ScreenPop.Validate(); err != nil {
		return err
	}
	return c.Limits.Validate()
}

// streamWorkers is how many goroutines serve RPCs and keep their grown
// stacks; beyond that many concurrent RPCs, gRPC starts a goroutine per RPC.
const streamWorkers = 64

// Server is the herken gRPC server: the herken.v1 services, health and
// reflection on one *grpc.Server.
type Server struct {
	svc    *herken.Service
	log    *slog.Logger
	cfg    Config
	grpc   *grpc.Server
	health *health.Server
	// unary is the interceptor chain of every unary RPC, outermost first.
	unary []grpc.UnaryServerInterceptor
}

// service is one registered herken.v1 service and its implementation.
type service struct {
	desc *grpc.ServiceDesc
	impl any
}

// services are the herken.v1 services the server registers, and whose
// health it reports.
func (s *Server) services() []service {
	return []service{
		{&herkenv1.RecognitionService_ServiceDesc, recognitionServer{Server: s}},
		{&herkenv1.CustomerService_ServiceDesc, customerServer{Server: s}},
		{&herkenv1.InteractionService_ServiceDesc, interactionServer{Server: s}},
		{&herkenv1.PromiseService_ServiceDesc, promiseServer{Server: s}},
		{&herkenv1.MaintenanceService_ServiceDesc, maintenanceServer{Server: s}},
		{&herkenv1.AuditService_ServiceDesc, auditServer{Server: s}},
		{&herkenv1.BackupService_ServiceDesc, backupServer{Server: s}},
		{&herkenv1.ScreenPopService_ServiceDesc, screenPopServer{Server: s}},
	}
}

// Each implementation implements its service, checked at compile time
// (RegisterService checks only at run time).
var (
	_ herkenv1.RecognitionServiceServer = recognitionServer{}
	_ herkenv1.CustomerServiceServer    = customerServer{}
	_ herkenv1.InteractionServiceServer = interactionServer{}
	_ herkenv1.PromiseServiceServer     = promiseServer{}
	_ herkenv1.MaintenanceServiceServer = maintenanceServer{}
	_ herkenv1.AuditServiceServer       = auditServer{}
	_ herkenv1.BackupServiceServer      = backupServer{}
	_ herkenv1.ScreenPopServiceServer   = screenPopServer{}
)

// New builds a Server over svc. Health starts NOT_SERVING; call SetServing
// once the store is ready.
func New(svc *herken.Service, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{svc: svc, log: cfg.Logger, cfg: cfg, health: health.NewServer()}
	// Outermost first. Metrics and logging see every call, refused ones
	// included, with its final code; auth puts the caller in the context
	// for the rate limiter (per key), the audit and the handlers (for a
	// screen pop view, the key that signed its link); the
	// deadline bound applies before any work; the codec and the
	// undecodable interceptors make a request that does not decode (invalid
	// UTF-8) INVALID_ARGUMENT instead of gRPC's own INTERNAL (codec.go);
	// recovery (innermost) turns a handler panic into INTERNAL.
	obsU, obsS := s.observeInterceptors()
	authU, authS := s.authInterceptors()
	limU, limS := s.limitInterceptors()
	audU, audS := s.auditInterceptors()
	s.unary = slices.Concat(obsU, authU, limU, audU, []grpc.UnaryServerInterceptor{
		undecodableUnary,
		recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(s.recovered)),
	})
	streams := slices.Concat(obsS, authS, limS, audS, []grpc.StreamServerInterceptor{
		undecodableStream,
		recovery.StreamServerInterceptor(recovery.WithRecoveryHandlerContext(s.recovered)),
	})
	opts := []grpc.ServerOption{
		grpc.ForceServerCodecV2(newCodec()),
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgBytes),
		// Reuse handler goroutines: a fresh goroutine per RPC grows its stack
		// on every Lookup (runtime.newstack was 12% of server CPU under load).
		grpc.NumStreamWorkers(streamWorkers),
		grpc.ChainUnaryInterceptor(s.unary...),
		grpc.ChainStreamInterceptor(streams...),
	}
	opts = append(opts, s.limitOptions()...)
	if cfg.Creds != nil {
		opts = append(opts, grpc.Creds(cfg.Creds))
	}
	if cfg.Tracing != nil {
		opts = append(opts, grpc.StatsHandler(cfg.Tracing))
	}
	s.grpc = grpc.NewServer(opts...)
	for _, svc := range s.services() {
		s.grpc.RegisterService(svc.desc, svc.impl)
	}
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.SetServing(false)
	return s, nil
}

// GRPC returns the underlying server, for registering more services.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// readOnlyServices are the services whose every RPC only reads: they keep
// SERVING while the store refuses writes.
var readOnlyServices = []string{
	herkenv1.RecognitionService_ServiceDesc.ServiceName,
	herkenv1.MaintenanceService_ServiceDesc.ServiceName,
	herkenv1.ScreenPopService_ServiceDesc.ServiceName,
}

// Health is the state the server reports through grpc.health.v1.
type Health int

const (
	// NotServing: the store cannot serve; every service is NOT_SERVING.
	NotServing Health = iota
	// Serving: every service is SERVING.
	Serving
	// ReadOnly: the store serves reads but refuses writes (its disk is
	// nearly full). The server as a whole ("") and every service with a
	// write RPC are NOT_SERVING, so load balancers and writers fail over;
	// RecognitionService and MaintenanceService, which only read, stay
	// SERVING, so a PBX that health-checks RecognitionService keeps
	// recognising callers.
	ReadOnly
)

func (h Health) String() string {
	switch h {
	case Serving:
		return "SERVING"
	case ReadOnly:
		return "READ_ONLY"
	}
	return "NOT_SERVING"
}

// SetHealth sets the health of the whole server ("") and of every service
// for state h.
func (s *Server) SetHealth(h Health) {
	names := []string{""}
	for _, svc := range s.services() {
		names = append(names, svc.desc.ServiceName)
	}
	for _, name := range names {
		st := healthpb.HealthCheckResponse_NOT_SERVING
		if h == Serving || h == ReadOnly && slices.Contains(readOnlyServices, name) {
			st = healthpb.HealthCheckResponse_SERVING
		}
		s.health.SetServingStatus(name, st)
	}
}

// SetServing sets every service SERVING (ok) or NOT_SERVING.
func (s *Server) SetServing(ok bool) {
	if ok {
		s.SetHealth(Serving)
	} else {
		s.SetHealth(NotServing)
	}
}

// Serve serves on lis until Shutdown.
func (s *Server) Serve(lis net.Listener) error { return s.grpc.Serve(lis) }

// Shutdown stops the server the way load balancers expect: health goes
// NOT_SERVING (so health-checking clients drain), in-flight RPCs get
// ShutdownTimeout to finish, then the rest are cut off.
func (s *Server) Shutdown() {
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.cfg.ShutdownTimeout):
		s.log.Warn("graceful stop timed out; cutting off in-flight RPCs", "timeout", s.cfg.ShutdownTimeout)
		s.grpc.Stop()
		<-done
	}
}

func (s *Server) recovered(ctx context.Context, p any) error {
	// The panic value may quote request data; log its type and the stack only.
	s.log.ErrorContext(ctx, "panic in handler", "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
	return newStatus(codes.Internal, &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Message: "internal error"})
}

// codeToLevel logs client mistakes at INFO and server faults at ERROR.
func codeToLevel(c codes.Code) slog.Level {
	switch c {
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable:
		return slog.LevelError
	case codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// write is what every write RPC tells the domain about itself: the
// client's request_id, who is calling (the key's name) and the call's id
// (x-request-id) for the audit trail.
func write(ctx context.Context, reqID string) herken.Write {
	return herken.Write{RequestID: reqID, Actor: callerName(ctx), CallID: requestID(ctx)}
}
