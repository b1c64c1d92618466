package server_test

import (
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protowire"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/internal/badinput"
)

// The codec's answers to undecodable requests for every RPC are rows of
// TestBadInput (badinput_test.go); these tests cover the rest of its path.

// TestUndecodableRequestLogged: a request that does not decode is logged
// like any other RPC, with its code (the interceptor chain runs).
func TestUndecodableRequestLogged(t *testing.T) {
	logs := &syncBuffer{}
	s := newTestServer(t, withLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	err := invokeRaw(ctxT(t), s.Conn, herkenv1.RecognitionService_Lookup_FullMethodName, badinput.BadUTF8(&herkenv1.LookupRequest{Identifier: phone("06" + badinput.BadPlaceholder)}))
	checkErr(t, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", "identifier.phone_number"})
	if out := logs.String(); !strings.Contains(out, "InvalidArgument") || !strings.Contains(out, "Lookup") {
		t.Errorf("no log line with the code for the undecodable request:\n%s", out)
	}
}

// TestUndecodableHealthWatch: the codec covers streaming RPCs too.
func TestUndecodableHealthWatch(t *testing.T) {
	s := newTestServer(t)
	desc := &grpc.StreamDesc{ServerStreams: true}
	ctx := ctxT(t)
	cs, err := s.Conn.NewStream(ctx, desc, "/grpc.health.v1.Health/Watch", grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	body := badinput.BadUTF8(&healthpb.HealthCheckRequest{Service: badinput.BadPlaceholder})
	if err := cs.SendMsg(&body); err != nil {
		t.Fatal(err)
	}
	if err := cs.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var out []byte
	err = cs.RecvMsg(&out)
	checkErr(t, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", "service"})
}

// TestUnknownFieldAtMarkerNumber: only the codec's own marker refuses a
// request; any other unknown field, even at the marker's field number, is
// ignored as protobuf ignores unknown fields.
func TestUnknownFieldAtMarkerNumber(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	body := mustMarshal(&herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	body = protowire.AppendString(protowire.AppendTag(body, protowire.MaxValidNumber, protowire.BytesType), "hello")
	if err := invokeRaw(ctxT(t), s.Conn, herkenv1.RecognitionService_Lookup_FullMethodName, body); err != nil {
		t.Fatalf("Lookup with an unknown field: %v", err)
	}
}

// TestForgedMarker: a client that sends the codec's marker itself, with
// invalid UTF-8 after it, still gets INVALID_ARGUMENT with ErrorInfo and a
// BadRequest (its bytes are not echoed into the details, which would make
// them unencodable and strip them).
func TestForgedMarker(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	body := mustMarshal(&herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	body = protowire.AppendString(protowire.AppendTag(body, protowire.MaxValidNumber, protowire.BytesType), "herken.v1/undecodable:x\xff")
	err := invokeRaw(ctxT(t), s.Conn, herkenv1.RecognitionService_Lookup_FullMethodName, body)
	checkErr(t, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", ""})
}
