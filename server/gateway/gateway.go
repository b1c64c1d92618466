// Package gateway serves herken's API as HTTP/JSON for the PBXs and
// tools that speak HTTP (FreePBX Superfecta, 3CX, Asterisk CURL(), data
// actions): grpc-gateway v2 transcodes each call, with the bindings of
// proto/herken/v1/http.yaml, into a gRPC call over an in-memory
// connection to the same server. So every call passes the same
// interceptors as a gRPC call — API keys and scopes (the Authorization:
// Bearer header), rate limits, audit, metrics, logs — at the cost of one
// in-process hop. The OpenAPI document is served at /v1/openapi.json.
package gateway

import (
	"context"
	_ "embed"
	"net/http"
	"net/url"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
)

// openAPI is the OpenAPI (Swagger 2.0) document protoc-gen-openapiv2 made
// from the same bindings (make generate).
//
//go:embed herken.swagger.json
var openAPI []byte

// New returns the HTTP handler of the API, calling the gRPC server over
// conn.
func New(ctx context.Context, conn *grpc.ClientConn) (http.Handler, error) {
	mux := runtime.NewServeMux(
		runtime.WithIncomingHeaderMatcher(headers),
		// protojson's conventions (lowerCamelCase names, enums by name);
		// unknown fields are refused, so a misspelt field is an error, not
		// a silently empty request.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{},
			UnmarshalOptions: protojson.UnmarshalOptions{},
		}),
		runtime.WithErrorHandler(errorHandler),
	)
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		herkenv1.RegisterRecognitionServiceHandler,
		herkenv1.RegisterCustomerServiceHandler,
		herkenv1.RegisterInteractionServiceHandler,
		herkenv1.RegisterPromiseServiceHandler,
		herkenv1.RegisterAuditServiceHandler,
		herkenv1.RegisterMaintenanceServiceHandler,
		herkenv1.RegisterScreenPopServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			return nil, err
		}
	}
	root := http.NewServeMux()
	root.HandleFunc("GET /v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	root.Handle("/v1/", lookupParams(mux))
	return secure(root), nil
}

// errorHandler answers the gateway's own refusals — a body that is not
// JSON or has an unknown field, a query value it cannot parse — as the
// server answers a request it cannot read: with ErrorInfo, and a field
// violation naming the query parameter when the gateway says which.
// Statuses from the server pass as they are.
func errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument && len(st.Details()) == 0 {
		err = server.InvalidRequest(queryField(r, st.Message()), st.Message())
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// queryField is the query parameter a gateway message ("parsing field
// \"platform\": ...") is about, as the request's field path
// ("identifier.social_handle.platform"); "" when it names none.
func queryField(r *http.Request, msg string) string {
	_, rest, ok := strings.Cut(msg, `parsing field "`)
	if !ok {
		return ""
	}
	leaf, _, _ := strings.Cut(rest, `"`)
	for key := range r.URL.Query() {
		if key == leaf || strings.HasSuffix(key, "."+leaf) {
			return key
		}
	}
	return ""
}

// headers forwards the request id besides what grpc-gateway forwards by
// itself (Authorization, as authorization).
func headers(key string) (string, bool) {
	if strings.EqualFold(key, "X-Request-Id") {
		return "x-request-id", true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// lookupShort maps the short query parameters of GET /v1/lookup, which a
// PBX URL template can fill in, to LookupRequest's field paths.
var lookupShort = map[string]string{
	"phone":       "identifier.phone_number",
	"email":       "identifier.email",
	"external_id": "identifier.external_id",
	"q":           "identifier.query",
	"handle":      "identifier.social_handle.handle",
	"platform":    "identifier.social_handle.platform",
	"limit":       "interaction_limit",
}

// lookupParams rewrites GET /v1/lookup?phone=… into the field paths the
// gateway reads (?identifier.phone_number=…); a platform may be given as
// "x" or "instagram" as well as SOCIAL_PLATFORM_X.
func lookupParams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/lookup" {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		out := url.Values{}
		for k, vs := range q {
			if long, ok := lookupShort[k]; ok {
				k = long
			}
			if k == "identifier.social_handle.platform" {
				for i, v := range vs {
					if !strings.HasPrefix(strings.ToUpper(v), "SOCIAL_PLATFORM_") {
						vs[i] = "SOCIAL_PLATFORM_" + strings.ToUpper(v)
					}
				}
			}
			out[k] = append(out[k], vs...)
		}
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = out.Encode()
		next.ServeHTTP(w, r2)
	})
}

// secure sets the headers every answer carries: the API answers hold
// personal data, so nothing may be cached or sniffed.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
