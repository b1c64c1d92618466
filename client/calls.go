package client

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// callConn is the connection as the stubs see it: the client's
// interceptor. Every call gets the default deadline when its context has
// none, and every error status comes back as a *Error. It sits above
// gRPC's retries, so the deadline bounds all attempts of a call.
type callConn struct {
	cc            grpc.ClientConnInterface
	unaryTimeout  time.Duration
	streamTimeout time.Duration
}

func (c *callConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if _, ok := ctx.Deadline(); !ok && c.unaryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.unaryTimeout)
		defer cancel()
	}
	return convert(c.cc.Invoke(ctx, method, args, reply, opts...))
}

func (c *callConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok && c.streamTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.streamTimeout)
	}
	s, err := c.cc.NewStream(ctx, desc, method, opts...)
	if err != nil {
		cancel()
		return nil, convert(err)
	}
	return &callStream{ClientStream: s, serverStreams: desc.ServerStreams, cancel: sync.OnceFunc(cancel)}, nil
}

// callStream converts a stream's errors and releases its deadline's timer
// when the stream is over.
type callStream struct {
	grpc.ClientStream
	serverStreams bool
	cancel        func()
}

func (s *callStream) SendMsg(m any) error {
	// io.EOF (the stream ended; RecvMsg has its status) passes unchanged.
	return convert(s.ClientStream.SendMsg(m))
}

func (s *callStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	// A stream is over at its first error (io.EOF included); one that
	// does not stream responses, after its one response.
	if err != nil || !s.serverStreams {
		s.cancel()
	}
	return convert(err)
}

func (s *callStream) CloseSend() error { return convert(s.ClientStream.CloseSend()) }

func (s *callStream) Header() (metadata.MD, error) {
	h, err := s.ClientStream.Header()
	return h, convert(err)
}
