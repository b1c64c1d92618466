package client

import (
	"iter"

	"google.golang.org/protobuf/proto"
)

// pages yields the items of page after page: fetch gets the page at token
// ("" the first) and returns its items and the next token ("" on the last
// page). It stops at the first error, which it yields.
func pages[T any](fetch func(token string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		token := ""
		for {
			items, next, err := fetch(token)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			token = next
		}
	}
}

// cloneOf copies a list request, so that paging does not change the
// caller's; nil is the empty request.
func cloneOf[M interface {
	proto.Message
	*T
}, T any](m M) M {
	if m == nil {
		return M(new(T))
	}
	return proto.Clone(m).(M)
}
