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

// parseChildName splits "customers/{c}/{collection}/{id}". Ids are opaque:
// only their form (herken.ValidID) is checked here; whether the record
// exists is the store's answer (NOT_FOUND).
func parseChildName(name, collection, field string) (string, string, error) {
	rest, ok := strings.CutPrefix(name, customersPrefix)
	cid, tail, ok2 := strings.Cut(rest, "/")
	id, ok3 := strings.CutPrefix(tail, collection+"/")
	if !ok || !ok2 || !ok3 || !herken.ValidID(cid) || !herken.ValidID(id) {
		if name == "" {
			return "", "", herken.Invalid(herken.ReasonFieldRequired, field, "required: customers/{customer}/%s/{id}", collection)
		}
		return "", "", herken.Invalid(herken.ReasonResourceNameInvalid, field, "must be customers/{customer}/%s/{id}", collection)
	}
	return cid, id, nil
}

func parsePromiseName(name, field string) (string, string, error) {
	return parseChildName(name, "promises", field)
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
	target := s.target(req, &v)
	pb := req.GetPromise()
	if pb == nil {
		v.addf(herken.ReasonFieldRequired, "promise", "required")
	}
	np := herken.NewPromise{
		Kind:        enumOf[herken.PromiseKind](int32(pb.GetKind())),
		Description: pb.GetDescription(),
		Owner:       pb.GetOwner(),
		Channel:     enumOf[herken.Channel](int32(pb.GetChannel())),
		DueTime:     timeField(pb.GetDueTime(), "promise.due_time", &v),
		WindowStart: timeField(pb.GetWindowStartTime(), "promise.window_start_time", &v),
	}
	if name := pb.GetInteraction(); name != "" {
		cid, iid, err := parseChildName(name, "interactions", "interaction")
		v.add(err, "promise")
		np.InteractionCustomerID, np.InteractionID = cid, iid
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := s.svc.CreatePromise(ctx, target, np, write(ctx, req.GetRequestId()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "promise")
	}
	return &herkenv1.CreatePromiseResponse{Promise: promiseToPB(p, s.svc.Now())}, nil
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
