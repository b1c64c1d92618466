package server

import (
	"context"
	"strings"
	"time"

	"github.com/herken/herken"

	"google.golang.org/protobuf/types/known/durationpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type promiseServer struct {
	herkenv1.UnimplementedPromiseServiceServer
	*Server
}

// allCustomers is the AIP-159 wildcard parent: a list across customers.
const allCustomers = "customers/-"

// parseChildName splits "customers/{c}/{collection}/{id}".
func parseChildName(name, collection, field string, validID func(string) bool) (string, string, error) {
	rest, ok := strings.CutPrefix(name, customersPrefix)
	cid, tail, ok2 := strings.Cut(rest, "/")
	id, ok3 := strings.CutPrefix(tail, collection+"/")
	if !ok || !ok2 || !ok3 || !herken.ValidID(cid) || !validID(id) {
		if name == "" {
			return "", "", herken.Invalid(herken.ReasonFieldRequired, field, "required: customers/{customer}/%s/{id}", collection)
		}
		return "", "", herken.Invalid(herken.ReasonResourceNameInvalid, field, "must be customers/{customer}/%s/{id}", collection)
	}
	return cid, id, nil
}

func parsePromiseName(name, field string) (string, string, error) {
	return parseChildName(name, "promises", field, herken.ValidID)
}

func promiseName(p herken.Promise) string {
	return customerName(p.CustomerID) + "/promises/" + p.ID
}

func promiseToPB(p herken.Promise, now time.Time) *herkenv1.Promise {
	pb := &herkenv1.Promise{
		Name:                promiseName(p),
		Kind:                herkenv1.PromiseKind(p.Kind),
		Description:         p.Description,
		DueTime:             timeToPB(p.DueTime),
		WindowStartTime:     timeToPB(p.WindowStart),
		Owner:               p.Owner,
		Channel:             herkenv1.Channel(p.Channel),
		State:               herkenv1.PromiseState(p.State),
		StateTime:           timeToPB(p.StateTime),
		StateActor:          p.StateActor,
		StateNote:           p.StateNote,
		CreateTime:          timeToPB(p.CreateTime),
		ContactIdentifier:   canonicalToPB(p.ContactIdentifier),
		CustomerDisplayName: p.CustomerDisplayName,
	}
	if p.InteractionID != "" {
		pb.Interaction = customerName(p.CustomerID) + "/interactions/" + p.InteractionID
	}
	if late, by := p.Overdue(now); late {
		pb.Overdue, pb.OverdueBy = true, durationpb.New(by)
	}
	return pb
}

func (s promiseServer) CreatePromise(ctx context.Context, req *herkenv1.CreatePromiseRequest) (*herkenv1.CreatePromiseResponse, error) {
	var v violations
	var target herken.InteractionTarget
	switch c := req.GetCustomer().(type) {
	case *herkenv1.CreatePromiseRequest_Parent:
		id, err := parseCustomerName(c.Parent, "parent")
		v.add(err, "")
		target.CustomerID = id
	case *herkenv1.CreatePromiseRequest_Identifier:
		n := s.normalize(c.Identifier, "identifier", &v)
		target.Identifier = &n
	default:
		v.addf(herken.ReasonFieldRequired, "parent", "required: set parent or identifier")
	}
	pb := req.GetPromise()
	if pb == nil {
		v.addf(herken.ReasonFieldRequired, "promise", "required")
	}
	np := herken.NewPromise{
		Kind:        enumOf[herken.PromiseKind](int32(pb.GetKind())),
		Description: pb.GetDescription(),
		Owner:       pb.GetOwner(),
		Channel:     enumOf[herken.Channel](int32(pb.GetChannel())),
	}
	np.DueTime = timeField(pb.GetDueTime(), "promise.due_time", &v)
	np.WindowStart = timeField(pb.GetWindowStartTime(), "promise.window_start_time", &v)
	if name := pb.GetInteraction(); name != "" {
		cid, iid, err := parseChildName(name, "interactions", "interaction", herken.ValidID)
		v.add(err, "promise")
		np.InteractionCustomerID, np.InteractionID = cid, iid
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := s.svc.CreatePromise(ctx, target, np, write(ctx, req.GetRequestId()))
	if err != nil {
		if st := invalidFields(err, promiseFieldPrefix); st != nil {
			return nil, st
		}
		return nil, toStatus(ctx, s.log, err, promiseFieldPrefix(fieldOf(err)))
	}
	return &herkenv1.CreatePromiseResponse{Promise: promiseToPB(p, s.svc.Now())}, nil
}

// promiseFieldPrefix places a domain field of CreatePromise in the request.
func promiseFieldPrefix(field string) string {
	if field == "" || field == "request_id" || field == "parent" || strings.HasPrefix(field, "identifier") {
		return ""
	}
	return "promise"
}

func fieldOf(err error) string {
	if de, ok := herken.AsError(err); ok {
		return de.Field
	}
	return ""
}

// timeField converts an optional timestamp; zero when unset. Timestamps at
// or before the Unix epoch are refused: the domain reads zero as "unset".
func timeField(ts interface {
	CheckValid() error
	AsTime() time.Time
	GetSeconds() int64
	GetNanos() int32
}, field string, v *violations) time.Time {
	if ts == nil || isNilTimestamp(ts) {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil || !ts.AsTime().After(time.Unix(0, 0)) {
		v.addf(herken.ReasonTimeInvalid, field, "must be a valid timestamp after 1970-01-01T00:00:00Z")
		return time.Time{}
	}
	return ts.AsTime()
}

func (s promiseServer) GetPromise(ctx context.Context, req *herkenv1.GetPromiseRequest) (*herkenv1.GetPromiseResponse, error) {
	cid, pid, err := parsePromiseName(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	p, err := s.svc.GetPromise(ctx, cid, pid)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.GetPromiseResponse{Promise: promiseToPB(p, s.svc.Now())}, nil
}

func (s promiseServer) KeepPromise(ctx context.Context, req *herkenv1.KeepPromiseRequest) (*herkenv1.KeepPromiseResponse, error) {
	p, err := s.close(ctx, req.GetName(), req.GetActor(), req.GetNote(), s.svc.KeepPromise)
	if err != nil {
		return nil, err
	}
	return &herkenv1.KeepPromiseResponse{Promise: p}, nil
}

func (s promiseServer) CancelPromise(ctx context.Context, req *herkenv1.CancelPromiseRequest) (*herkenv1.CancelPromiseResponse, error) {
	p, err := s.close(ctx, req.GetName(), req.GetActor(), req.GetNote(), s.svc.CancelPromise)
	if err != nil {
		return nil, err
	}
	return &herkenv1.CancelPromiseResponse{Promise: p}, nil
}

type closeFunc func(ctx context.Context, customerID, promiseID, actor, note string, w herken.Write) (herken.Promise, error)

func (s promiseServer) close(ctx context.Context, name, actor, note string, fn closeFunc) (*herkenv1.Promise, error) {
	cid, pid, err := parsePromiseName(name, "name")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	p, err := fn(ctx, cid, pid, actor, note, write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return promiseToPB(p, s.svc.Now()), nil
}

func (s promiseServer) ListPromises(ctx context.Context, req *herkenv1.ListPromisesRequest) (*herkenv1.ListPromisesResponse, error) {
	var v violations
	r := herken.ListPromisesRequest{OverdueOnly: req.GetOverdueOnly()}
	if parent := req.GetParent(); parent != allCustomers {
		id, err := parseCustomerName(parent, "parent")
		v.add(err, "")
		r.CustomerID = id
	}
	r.State = enumOf[herken.PromiseState](int32(req.GetState()))
	r.DueBefore = timeField(req.GetDueBefore(), "due_before", &v)
	r.Owner = req.GetOwner()
	r.PageSize = int(req.GetPageSize())
	r.PageToken = req.GetPageToken()
	if err := v.err(); err != nil {
		return nil, err
	}
	ps, next, err := s.svc.ListPromises(ctx, r)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	now := s.svc.Now()
	out := &herkenv1.ListPromisesResponse{NextPageToken: next, Promises: make([]*herkenv1.Promise, len(ps))}
	for i, p := range ps {
		out.Promises[i] = promiseToPB(p, now)
	}
	return out, nil
}
