package server

import (
	"bytes"
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/herken/herken"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A request that does not decode — invalid UTF-8 in a proto3 string field,
// or bytes that are not protobuf at all — must be INVALID_ARGUMENT with
// ErrorInfo like every other bad input. grpc-go cannot be told so: when a
// codec's Unmarshal fails it answers INTERNAL "grpc: failed to unmarshal the
// received message" itself (encoding/proto via rpc_util.go recv), before any
// interceptor or handler runs, and whatever error the codec returns is
// wrapped as INTERNAL.
//
// So the server's codec (installed with grpc.ForceServerCodecV2) never fails
// an Unmarshal of a protobuf message: it resets the message and leaves a
// marker in its unknown fields naming the offending field, and the
// undecodable interceptors turn the marker into INVALID_ARGUMENT / reason
// INVALID_ARGUMENT before the handler sees the (empty) request. The marker
// is an unknown field with the highest valid field number, so no generated
// field can collide with it; a client sending that field itself only gets
// its own request refused.

// undecodableMarker prefixes the marker's value; the rest is the field path.
const undecodableMarker = "herken.v1/undecodable:"

// undecodableNumber is the field number of the marker.
const undecodableNumber = protowire.MaxValidNumber

// codec is grpc-go's protobuf codec with lenient decode failures.
type codec struct{ base encoding.CodecV2 }

func newCodec() codec { return codec{base: encoding.GetCodecV2(grpcproto.Name)} }

func (c codec) Name() string { return grpcproto.Name }

func (c codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	// data stays valid until this returns (grpc frees it afterwards).
	field := invalidUTF8Path(data.Materialize(), m.ProtoReflect().Descriptor(), 0)
	proto.Reset(m)
	var b []byte
	b = protowire.AppendTag(b, undecodableNumber, protowire.BytesType)
	b = protowire.AppendString(b, undecodableMarker+field)
	m.ProtoReflect().SetUnknown(b)
	return nil
}

// undecodable returns the INVALID_ARGUMENT status for a request the codec
// could not decode, or nil.
func undecodable(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	b := m.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if num == undecodableNumber && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n >= 0 && bytes.HasPrefix(v, []byte(undecodableMarker)) {
				// A client can send the marker itself: only a path the codec
				// could have written (valid UTF-8, short) is trusted.
				path := v[len(undecodableMarker):]
				if !utf8.Valid(path) || len(path) > 256 {
					path = nil
				}
				return undecodableStatus(string(path))
			}
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil
		}
		b = b[n:]
	}
	return nil
}

// undecodableStatus is INVALID_ARGUMENT / INVALID_ARGUMENT with a BadRequest
// field violation naming the field with invalid UTF-8, or with an empty
// field (the whole request) when the bytes are not protobuf.
func undecodableStatus(field string) error {
	if field == "" {
		return InvalidRequest("", "the request is not a valid protobuf message")
	}
	return InvalidRequest(field, "must be valid UTF-8")
}

// InvalidRequest is the status of a request that could not be read (bytes
// that are not protobuf, a body or query the HTTP gateway could not
// parse): INVALID_ARGUMENT / INVALID_ARGUMENT, with a BadRequest field
// violation when field names the request field ("" for the whole request).
func InvalidRequest(field, message string) error {
	return newStatus(codes.InvalidArgument, herken.Invalid(herken.ReasonInvalidArgument, field, "%s", message))
}

// invalidUTF8Path returns the request path ("identifiers[1].email") of the
// first string field in the wire bytes b of a message md that is not valid
// UTF-8; "" when there is none or b is not well-formed protobuf.
func invalidUTF8Path(b []byte, md protoreflect.MessageDescriptor, depth int) string {
	if depth > 32 {
		return ""
	}
	seen := map[protowire.Number]int{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil || fd.IsMap() {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ""
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		name := string(fd.Name())
		if fd.IsList() {
			name += "[" + strconv.Itoa(seen[num]) + "]"
			seen[num]++
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			if !utf8.Valid(v) {
				return name
			}
		case protoreflect.MessageKind:
			if p := invalidUTF8Path(v, fd.Message(), depth+1); p != "" {
				return name + "." + p
			}
		}
	}
	return ""
}

// undecodableUnary refuses a request the codec could not decode. It runs
// after logging, so the log line shows INVALID_ARGUMENT.
func undecodableUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := undecodable(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// undecodableStream does the same for every message of a stream (health
// Watch, reflection).
func undecodableStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, checkedStream{ss})
}

type checkedStream struct{ grpc.ServerStream }

func (s checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return undecodable(m)
}
