package metrics

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/stats"
)

// Tracing exports a span per gRPC call (health checks aside) to the OTLP
// gRPC collector at endpoint: "http://host:port" for plaintext,
// "https://host:port" or "host:port" for TLS. The exporter connects
// lazily, so an unreachable collector does not stop the start; spans are
// batched and dropped if it stays away. Spans carry the method, code and
// peer, never a payload. shutdown flushes what is buffered.
func Tracing(endpoint string) (stats.Handler, func(context.Context) error, error) {
	opt := otlptracegrpc.WithEndpoint(endpoint)
	if strings.Contains(endpoint, "://") {
		opt = otlptracegrpc.WithEndpointURL(endpoint)
	}
	exp, err := otlptracegrpc.New(context.Background(), opt)
	if err != nil {
		return nil, nil, fmt.Errorf("otlp exporter for %s: %w", endpoint, err)
	}
	h, shutdown := TracingTo(sdktrace.WithBatcher(exp))
	return h, shutdown, nil
}

// TracingTo is Tracing with the spans going where opt says (tests: a
// synchronous in-memory exporter).
func TracingTo(opt sdktrace.TracerProviderOption) (stats.Handler, func(context.Context) error) {
	tp := sdktrace.NewTracerProvider(opt,
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "herken"))))
	h := otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(tp),
		// Continue the caller's trace (W3C traceparent); no baggage: it is
		// caller-chosen data we have no use for.
		otelgrpc.WithPropagators(propagation.TraceContext{}),
		// Metrics come from Prometheus; no OTel metrics pipeline.
		otelgrpc.WithMeterProvider(noop.NewMeterProvider()),
		// Load balancers' health checks would drown the traces.
		otelgrpc.WithFilter(filters.Not(filters.HealthCheck())),
	)
	return h, tp.Shutdown
}
