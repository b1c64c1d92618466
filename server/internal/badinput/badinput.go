// Package badinput is the server's bad-input table: malformed requests to
// every herken.v1 RPC, each with the status it must get. The server's tests
// send every row to a seeded server (TestBadInput), and the fuzz-corpus
// generator (../fuzzcorpus, run by go generate) writes the rows as seeds
// of the fuzz targets, with placeholders for the fixture's names. It is
// test data written in Go, so both can share it; nothing that ships
// imports it.
package badinput

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Now is the server's clock when the rows are sent: times in the rows
// (an occur_time an hour ahead, a due time three years ahead) are relative
// to it.
var Now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// Landline is the number the fixture's two customers share.
const Landline = "020-1234567"

// Fixture names the records of the seeded store the rows address: Jan and
// Anna (sharing Landline; Jan holds external id K-100001 and the X handle
// jandevries, Anna K-100002), Anna's newest interaction, Jan's promises in
// every state, Jan's interactions in every feedback state, a customer
// merged into another and one erased, and a next page token of each list.
type Fixture struct {
	Jan, Anna, AnnaLast string
	// Merged was merged into Survivor (neither holds an identifier of Jan's
	// or Anna's); Erased was erased.
	Merged, Survivor, Erased                   string
	OpenPromise, KeptPromise, CancelledPromise string
	// Answered has answered feedback, Submitted unanswered feedback,
	// NoFeedback none.
	Answered, Submitted, NoFeedback string
	// InteractionsToken is a next_page_token of ListInteractions of Jan
	// with page_size 2, PromisesToken of ListPromises across customers with
	// page_size 1, CustomersToken of ListCustomers with page_size 1 and no
	// filter.
	InteractionsToken, PromisesToken, CustomersToken string
	// JanLink is a screen pop link's token for Jan's mobile, ExpiredLink
	// one that has expired, UnknownLink one for a number nobody holds.
	JanLink, ExpiredLink, UnknownLink string
}

// Placeholders is the fixture as the fuzz corpus names it: the ids are
// random per run, so a fuzz target replaces each placeholder ($J, ...) with
// the real id (Replacements) before it calls.
func Placeholders() Fixture {
	return Fixture{
		Jan: "customers/$J", Anna: "customers/$A", AnnaLast: "customers/$A/interactions/$L",
		OpenPromise: "customers/$J/promises/$O", KeptPromise: "customers/$J/promises/$K",
		CancelledPromise: "customers/$J/promises/$C",
		Answered:         "customers/$J/interactions/$F", Submitted: "customers/$J/interactions/$S",
		NoFeedback: "customers/$J/interactions/$N",
		Merged:     "customers/$M", Survivor: "customers/$V", Erased: "customers/$E",
		InteractionsToken: "$T", PromisesToken: "$P", CustomersToken: "$U",
		JanLink: "$Q", ExpiredLink: "$X", UnknownLink: "$W",
	}
}

// Replacements pairs every placeholder with its value in f, for
// strings.NewReplacer; "$^J" is Jan's id in capitals (see upper).
func Replacements(f Fixture) []string {
	ids := []string{
		"$J", idOf(f.Jan), "$A", idOf(f.Anna), "$L", idOf(f.AnnaLast),
		"$O", idOf(f.OpenPromise), "$K", idOf(f.KeptPromise), "$C", idOf(f.CancelledPromise),
		"$F", idOf(f.Answered), "$S", idOf(f.Submitted), "$N", idOf(f.NoFeedback),
		"$M", idOf(f.Merged), "$V", idOf(f.Survivor), "$E", idOf(f.Erased),
	}
	out := []string{"$T", f.InteractionsToken, "$P", f.PromisesToken, "$U", f.CustomersToken,
		"$Q", f.JanLink, "$X", f.ExpiredLink, "$W", f.UnknownLink}
	for i := 0; i < len(ids); i += 2 {
		out = append(out, ids[i], ids[i+1], upper(ids[i]), strings.ToUpper(ids[i+1]))
	}
	return out
}

// idOf is the id at the end of a resource name.
func idOf(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// upper is id in capitals, which is no valid id; for a placeholder ("$J")
// it is the placeholder of that ("$^J"), so the fuzz corpus keeps the
// difference.
func upper(id string) string {
	if p, ok := strings.CutPrefix(id, "$"); ok {
		return "$^" + p
	}
	return strings.ToUpper(id)
}

// Want is the status a row must get. Field, when set, is the field path:
// for INVALID_ARGUMENT the first BadRequest field violation and ErrorInfo
// metadata "field"; for other codes ErrorInfo metadata "field".
type Want struct {
	Code   codes.Code
	Reason string
	Field  string
}

// Row is one malformed request.
type Row struct {
	Name   string
	Method string        // the full gRPC method name
	Req    proto.Message // the request, unless Raw is set
	Raw    []byte        // the request's wire bytes: what a generated client cannot send
	Want   Want
	Limit  string // ErrorInfo metadata "limit", when the rule has one
	Holder string // ErrorInfo metadata "customer": who holds an identifier
	// Survivor is ErrorInfo metadata "survivor": where a merged customer
	// went.
	Survivor string
	// GRPCOwn: gRPC itself answers, before herken sees the request (a
	// request over the size limit): the status has no ErrorInfo.
	GRPCOwn bool
}

// Body is the row's request as wire bytes.
func (r Row) Body() []byte {
	if r.Raw != nil {
		return r.Raw
	}
	return mustMarshal(r.Req)
}

// FuzzTarget is the fuzz target of the RPC method: one per RPC, named after
// its request message (FuzzLookupRequest).
func FuzzTarget(method string) string {
	return "Fuzz" + method[strings.LastIndex(method, "/")+1:] + "Request"
}

// maxSeed is the largest request the corpus keeps: bigger rows (a 1 MiB
// summary) only slow the fuzzer down.
const maxSeed = 4 << 10

// Corpus is the fuzz seed corpus the table makes: file path (relative to
// testdata/fuzz) to content, in the go test fuzz v1 format. It holds every
// row a client can send (not Raw), up to maxSeed bytes, with the fixture's
// names as placeholders, in <target>/bad_<row name>.
func Corpus() map[string][]byte {
	slug := regexp.MustCompile(`[^a-z0-9]+`)
	out := map[string][]byte{}
	for _, r := range Rows(Placeholders()) {
		if r.Raw != nil {
			continue
		}
		b := mustMarshal(r.Req)
		if len(b) > maxSeed {
			continue
		}
		name := "bad_" + strings.Trim(slug.ReplaceAllString(strings.ToLower(r.Name), "_"), "_")
		path := FuzzTarget(r.Method) + "/" + name
		if _, dup := out[path]; dup {
			panic("badinput: two rows of " + r.Method + " make corpus file " + name)
		}
		out[path] = fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b)
	}
	return out
}

// The methods of the rows.
const (
	mLookup          = herkenv1.RecognitionService_Lookup_FullMethodName
	mResolve         = herkenv1.RecognitionService_Resolve_FullMethodName
	mCreateCustomer  = herkenv1.CustomerService_CreateCustomer_FullMethodName
	mGetCustomer     = herkenv1.CustomerService_GetCustomer_FullMethodName
	mRecord          = herkenv1.InteractionService_RecordInteraction_FullMethodName
	mListInteraction = herkenv1.InteractionService_ListInteractions_FullMethodName
	mSubmitFeedback  = herkenv1.InteractionService_SubmitFeedback_FullMethodName
	mAnswerFeedback  = herkenv1.InteractionService_AnswerFeedback_FullMethodName
	mCreatePromise   = herkenv1.PromiseService_CreatePromise_FullMethodName
	mGetPromise      = herkenv1.PromiseService_GetPromise_FullMethodName
	mKeepPromise     = herkenv1.PromiseService_KeepPromise_FullMethodName
	mCancelPromise   = herkenv1.PromiseService_CancelPromise_FullMethodName
	mListPromises    = herkenv1.PromiseService_ListPromises_FullMethodName
	mMaintenance     = herkenv1.MaintenanceService_GetMaintenanceStatus_FullMethodName
	mBackup          = herkenv1.BackupService_Backup_FullMethodName
	mUpdateCustomer  = herkenv1.CustomerService_UpdateCustomer_FullMethodName
	mListCustomers   = herkenv1.CustomerService_ListCustomers_FullMethodName
	mAddIdentifier   = herkenv1.CustomerService_AddIdentifier_FullMethodName
	mRemoveIdent     = herkenv1.CustomerService_RemoveIdentifier_FullMethodName
	mMerge           = herkenv1.CustomerService_MergeCustomers_FullMethodName
	mUnmerge         = herkenv1.CustomerService_UnmergeCustomers_FullMethodName
	mErase           = herkenv1.CustomerService_EraseCustomer_FullMethodName
	mExport          = herkenv1.CustomerService_ExportCustomer_FullMethodName
)

// BadPlaceholder marks where BadUTF8 puts invalid UTF-8.
const BadPlaceholder = "@@BAD@@"

// BadUTF8 marshals m and replaces every BadPlaceholder by as many bytes that
// are not UTF-8, so every length prefix stays right.
func BadUTF8(m proto.Message) []byte {
	b := mustMarshal(m)
	bad := "ab\xff\xfecd\xc0"
	if len(bad) != len(BadPlaceholder) || !bytes.Contains(b, []byte(BadPlaceholder)) {
		panic("BadUTF8: placeholder")
	}
	return bytes.ReplaceAll(b, []byte(BadPlaceholder), []byte(bad))
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// ---- request builders (the server's tests use them too) ----

// Phone, Email, Social, ExtID, Postal and Query build one API identifier.
func Phone(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: s}}
}

func Email(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Email{Email: s}}
}

func Social(p herkenv1.SocialPlatform, h string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_SocialHandle{SocialHandle: &herkenv1.SocialHandle{Platform: p, Handle: h}}}
}

func ExtID(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_ExternalId{ExternalId: s}}
}

func Postal(pc string, nr int32, add string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PostalAddress{PostalAddress: &herkenv1.PostalAddress{
		Postcode: pc, HouseNumber: nr, HouseNumberAddition: add,
	}}}
}

func Query(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Query{Query: s}}
}

const platformX = herkenv1.SocialPlatform_SOCIAL_PLATFORM_X

func stamp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

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

func byParent(name string, in *herkenv1.Interaction) *herkenv1.RecordInteractionRequest {
	return &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: name}, Interaction: in}
}

func byIdentifier(id *herkenv1.Identifier, in *herkenv1.Interaction) *herkenv1.RecordInteractionRequest {
	return &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Identifier{Identifier: id}, Interaction: in}
}

// ---- the table ----

func Rows(f Fixture) []Row {
	jan, anna := f.Jan, f.Anna
	const unknownCustomer = "customers/0000000000000000"
	unknownInteraction := jan + "/interactions/000000000000000000000000"
	unknownPromise := jan + "/promises/000000000000000000000000"
	rep := strings.Repeat
	inv := codes.InvalidArgument
	ids := func(n int, id func(i int) *herkenv1.Identifier) []*herkenv1.Identifier {
		out := make([]*herkenv1.Identifier, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	nth := func(i int) *herkenv1.Identifier {
		return ExtID("K-9" + strings.Repeat("0", 5) + string(rune('a'+i%26)) + strconv.Itoa(i))
	}
	tags := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "t" + strconv.Itoa(i)
		}
		return out
	}
	lookup := func(id *herkenv1.Identifier) *herkenv1.LookupRequest { return &herkenv1.LookupRequest{Identifier: id} }
	named := &herkenv1.Customer{DisplayName: "Nieuwe Klant"}
	create := func(c *herkenv1.Customer, id ...*herkenv1.Identifier) *herkenv1.CreateCustomerRequest {
		if len(id) == 0 {
			id = []*herkenv1.Identifier{Phone("06-22223333")}
		}
		return &herkenv1.CreateCustomerRequest{Customer: c, Identifiers: id}
	}
	ok := call(Now.Add(-time.Minute), herkenv1.Channel_CHANNEL_PHONE, "vraag")
	in := func(mod func(*herkenv1.Interaction)) *herkenv1.Interaction {
		c := proto.Clone(ok).(*herkenv1.Interaction)
		mod(c)
		return c
	}
	recordTo := func(mod func(*herkenv1.Interaction)) *herkenv1.RecordInteractionRequest {
		return byParent(jan, in(mod))
	}
	promise := func(mod func(*herkenv1.Promise)) *herkenv1.Promise {
		p := &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_DELIVERY, DueTime: stamp(Now.Add(24 * time.Hour))}
		mod(p)
		return p
	}
	promiseTo := func(mod func(*herkenv1.Promise)) *herkenv1.CreatePromiseRequest {
		return &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}, Promise: promise(mod)}
	}
	promiseBy := func(id *herkenv1.Identifier) *herkenv1.CreatePromiseRequest {
		return &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: id}, Promise: promise(func(*herkenv1.Promise) {})}
	}
	pre1970 := &timestamppb.Timestamp{Seconds: -3600}
	badNanos := &timestamppb.Timestamp{Seconds: Now.Unix(), Nanos: -1}
	tamper := func(tok string) string {
		b := []byte(tok)
		i := len(b) / 2
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	channels1000 := make([]herkenv1.Channel, 1000)
	for i := range channels1000 {
		channels1000[i] = herkenv1.Channel(1 + i%9)
	}
	channels1000[999] = herkenv1.Channel(4242)
	withChannels := func(ch []herkenv1.Channel) *herkenv1.ListInteractionsRequest {
		return &herkenv1.ListInteractionsRequest{Parent: jan, Channels: ch}
	}

	// Wire bytes that are not a well-formed request.
	garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	truncated := mustMarshal(lookup(Email("jan@example.nl")))
	truncated = truncated[:len(truncated)-3]
	// A known field with the wrong wire type is an unknown field to protobuf
	// (it is kept, not refused), so the request has no identifier.
	wrongWireType := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7)
	unknownOnly := protowire.AppendString(protowire.AppendTag(nil, 999, protowire.BytesType), "x")
	// A 2 MiB request, twice the server's limit.
	huge := mustMarshal(&herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{HandoverNote: rep("x", 2<<20)}})
	// Just under the limit: decoded, then refused by herken's own rule.
	nearLimit := rep("x", 1<<20-1024)

	rows := []Row{
		// ---- RecognitionService/Lookup ----
		{Name: "no identifier", Method: mLookup, Req: &herkenv1.LookupRequest{}, Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "empty identifier", Method: mLookup, Req: lookup(&herkenv1.Identifier{}), Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "only unknown fields", Method: mLookup, Raw: unknownOnly, Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "negative interaction_limit", Method: mLookup, Req: &herkenv1.LookupRequest{Identifier: Phone("06-12345678"), InteractionLimit: -1}, Want: Want{inv, "FIELD_INVALID", "interaction_limit"}},
		{Name: "interaction_limit MinInt32", Method: mLookup, Req: &herkenv1.LookupRequest{Identifier: Phone("06-12345678"), InteractionLimit: math.MinInt32}, Want: Want{inv, "FIELD_INVALID", "interaction_limit"}},
		{Name: "phone too short", Method: mLookup, Req: lookup(Phone("12")), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "phone 65 bytes", Method: mLookup, Req: lookup(Phone("06" + rep("1", 63))), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "phone of 1 MiB", Method: mLookup, Req: lookup(Phone(nearLimit)), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "email in phone_number", Method: mLookup, Req: lookup(Phone("jan@example.nl")), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "postcode in phone_number", Method: mLookup, Req: lookup(Phone("1234 AB")), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "postcode in email", Method: mLookup, Req: lookup(Email("1234 AB 10")), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "phone in email", Method: mLookup, Req: lookup(Email("06-12345678")), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "email 255 bytes", Method: mLookup, Req: lookup(Email(rep("a", 64) + "@" + rep("b", 63) + "." + rep("c", 63) + "." + rep("d", 59) + ".nl")), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "email with control character", Method: mLookup, Req: lookup(Email("jan\x00@example.nl")), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "empty email", Method: mLookup, Req: lookup(Email("")), Want: Want{inv, "IDENTIFIER_MISSING", "identifier.email"}},
		{Name: "handle without platform", Method: mLookup, Req: lookup(Social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_UNSPECIFIED, "jandevries")), Want: Want{inv, "SOCIAL_PLATFORM_INVALID", "identifier.social_handle.platform"}},
		{Name: "unknown platform", Method: mLookup, Req: lookup(Social(herkenv1.SocialPlatform(99), "jan")), Want: Want{inv, "SOCIAL_PLATFORM_INVALID", "identifier.social_handle.platform"}},
		{Name: "negative platform", Method: mLookup, Req: lookup(Social(herkenv1.SocialPlatform(-1), "jan")), Want: Want{inv, "SOCIAL_PLATFORM_INVALID", "identifier.social_handle.platform"}},
		{Name: "empty social_handle message", Method: mLookup, Req: lookup(&herkenv1.Identifier{Value: &herkenv1.Identifier_SocialHandle{SocialHandle: &herkenv1.SocialHandle{}}}), Want: Want{inv, "IDENTIFIER_MISSING", "identifier.social_handle.handle"}},
		{Name: "email as X handle", Method: mLookup, Req: lookup(Social(platformX, "jan@example.nl")), Want: Want{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{Name: "instagram URL as X handle", Method: mLookup, Req: lookup(Social(platformX, "https://instagram.com/jan.devries")), Want: Want{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{Name: "empty X handle", Method: mLookup, Req: lookup(Social(platformX, "")), Want: Want{inv, "IDENTIFIER_MISSING", "identifier.social_handle.handle"}},
		{Name: "X handle of 10000 characters", Method: mLookup, Req: lookup(Social(platformX, rep("j", 10000))), Want: Want{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{Name: "WhatsApp handle that is no number", Method: mLookup, Req: lookup(Social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_WHATSAPP, "jandevries")), Want: Want{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{Name: "empty external_id", Method: mLookup, Req: lookup(ExtID("")), Want: Want{inv, "IDENTIFIER_MISSING", "identifier.external_id"}},
		{Name: "external_id with space", Method: mLookup, Req: lookup(ExtID("K 100001")), Want: Want{inv, "EXTERNAL_ID_INVALID", "identifier.external_id"}},
		{Name: "external_id 129 characters", Method: mLookup, Req: lookup(ExtID(rep("K", 129))), Want: Want{inv, "EXTERNAL_ID_INVALID", "identifier.external_id"}},
		{Name: "external_id not ASCII", Method: mLookup, Req: lookup(ExtID("K-1000é1")), Want: Want{inv, "EXTERNAL_ID_INVALID", "identifier.external_id"}},
		{Name: "phone as postcode", Method: mLookup, Req: lookup(Postal("0612345678", 10, "")), Want: Want{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.postcode"}},
		{Name: "house number 0", Method: mLookup, Req: lookup(Postal("1234 AB", 0, "")), Want: Want{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number"}},
		{Name: "negative house number", Method: mLookup, Req: lookup(Postal("1234 AB", -10, "")), Want: Want{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number"}},
		{Name: "house number 100000", Method: mLookup, Req: lookup(Postal("1234 AB", 100000, "")), Want: Want{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number"}},
		{Name: "addition 7 characters", Method: mLookup, Req: lookup(Postal("1234 AB", 10, "abcdefg")), Want: Want{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number_addition"}},
		{Name: "empty postal address", Method: mLookup, Req: lookup(&herkenv1.Identifier{Value: &herkenv1.Identifier_PostalAddress{PostalAddress: &herkenv1.PostalAddress{}}}), Want: Want{inv, "IDENTIFIER_MISSING", "identifier.postal_address.postcode"}},
		{Name: "query matching no kind", Method: mLookup, Req: lookup(Query("hello world")), Want: Want{inv, "QUERY_UNRECOGNIZED", "identifier.query"}},
		{Name: "query bare @handle", Method: mLookup, Req: lookup(Query("@jan")), Want: Want{inv, "QUERY_UNRECOGNIZED", "identifier.query"}},
		{Name: "query 1025 bytes", Method: mLookup, Req: lookup(Query(rep("1", 1025))), Want: Want{inv, "FIELD_TOO_LONG", "identifier.query"}, Limit: "1024"},
		{Name: "invalid UTF-8 in phone_number", Method: mLookup, Raw: BadUTF8(lookup(Phone("06" + BadPlaceholder))), Want: Want{inv, "INVALID_ARGUMENT", "identifier.phone_number"}},
		{Name: "invalid UTF-8 in query", Method: mLookup, Raw: BadUTF8(lookup(Query(BadPlaceholder))), Want: Want{inv, "INVALID_ARGUMENT", "identifier.query"}},
		{Name: "invalid UTF-8 in social handle", Method: mLookup, Raw: BadUTF8(lookup(Social(platformX, BadPlaceholder))), Want: Want{inv, "INVALID_ARGUMENT", "identifier.social_handle.handle"}},
		{Name: "invalid UTF-8 in postcode", Method: mLookup, Raw: BadUTF8(lookup(Postal(BadPlaceholder, 10, ""))), Want: Want{inv, "INVALID_ARGUMENT", "identifier.postal_address.postcode"}},
		{Name: "not protobuf", Method: mLookup, Raw: garbage, Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "truncated", Method: mLookup, Raw: truncated, Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "identifier sent as a varint", Method: mLookup, Raw: wrongWireType, Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "2 MiB request", Method: mLookup, Raw: huge, Want: Want{Code: codes.ResourceExhausted}, GRPCOwn: true},

		// ---- RecognitionService/Resolve ----
		{Name: "no identifiers", Method: mResolve, Req: &herkenv1.ResolveRequest{}, Want: Want{inv, "FIELD_REQUIRED", "identifiers"}},
		{Name: "11 identifiers", Method: mResolve, Req: &herkenv1.ResolveRequest{Identifiers: ids(11, nth)}, Want: Want{inv, "TOO_MANY_VALUES", "identifiers"}},
		{Name: "1000 identifiers", Method: mResolve, Req: &herkenv1.ResolveRequest{Identifiers: ids(1000, nth)}, Want: Want{inv, "TOO_MANY_VALUES", "identifiers"}},
		{Name: "negative interaction_limit", Method: mResolve, Req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{Phone("06-12345678")}, InteractionLimit: -5}, Want: Want{inv, "FIELD_INVALID", "interaction_limit"}},
		{Name: "empty second identifier", Method: mResolve, Req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{Phone("06-12345678"), {}}}, Want: Want{inv, "IDENTIFIER_MISSING", "identifiers[1]"}},
		{Name: "bad third email", Method: mResolve, Req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{Phone("06-12345678"), Email("jan@example.nl"), Email("jan@")}}, Want: Want{inv, "EMAIL_INVALID", "identifiers[2].email"}},
		{Name: "email in phone_number", Method: mResolve, Req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{Phone("jan@example.nl")}}, Want: Want{inv, "PHONE_NUMBER_INVALID", "identifiers[0].phone_number"}},
		{Name: "query 1025 bytes", Method: mResolve, Req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{Query(rep("a", 1025))}}, Want: Want{inv, "FIELD_TOO_LONG", "identifiers[0].query"}, Limit: "1024"},
		{Name: "invalid UTF-8 in second email", Method: mResolve, Raw: BadUTF8(&herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{Phone("06-12345678"), Email(BadPlaceholder)}}), Want: Want{inv, "INVALID_ARGUMENT", "identifiers[1].email"}},
		{Name: "not protobuf", Method: mResolve, Raw: garbage, Want: Want{inv, "INVALID_ARGUMENT", ""}},

		// ---- CustomerService/CreateCustomer ----
		{Name: "display_name 201 characters", Method: mCreateCustomer, Req: create(&herkenv1.Customer{DisplayName: rep("é", 201)}), Want: Want{inv, "FIELD_TOO_LONG", "customer.display_name"}, Limit: "200"},
		{Name: "display_name of 1 MiB", Method: mCreateCustomer, Req: create(&herkenv1.Customer{DisplayName: nearLimit}), Want: Want{inv, "FIELD_TOO_LONG", "customer.display_name"}, Limit: "200"},
		{Name: "display_name control character", Method: mCreateCustomer, Req: create(&herkenv1.Customer{DisplayName: "Jan\x1b[31m"}), Want: Want{inv, "FIELD_INVALID", "customer.display_name"}},
		{Name: "handover_note 4001 characters", Method: mCreateCustomer, Req: create(&herkenv1.Customer{HandoverNote: rep("n", 4001)}), Want: Want{inv, "FIELD_TOO_LONG", "customer.handover_note"}, Limit: "4000"},
		{Name: "33 tags", Method: mCreateCustomer, Req: create(&herkenv1.Customer{Tags: tags(33)}), Want: Want{inv, "TOO_MANY_VALUES", "customer.tags"}, Limit: "32"},
		{Name: "1000 tags", Method: mCreateCustomer, Req: create(&herkenv1.Customer{Tags: tags(1000)}), Want: Want{inv, "TOO_MANY_VALUES", "customer.tags"}, Limit: "32"},
		{Name: "tag 65 characters", Method: mCreateCustomer, Req: create(&herkenv1.Customer{Tags: []string{rep("t", 65)}}), Want: Want{inv, "FIELD_TOO_LONG", "customer.tags[0]"}, Limit: "64"},
		{Name: "empty tag", Method: mCreateCustomer, Req: create(&herkenv1.Customer{Tags: []string{"vip", ""}}), Want: Want{inv, "FIELD_INVALID", "customer.tags[1]"}},
		{Name: "language not BCP 47", Method: mCreateCustomer, Req: create(&herkenv1.Customer{PreferredLanguage: "Nederlands!"}), Want: Want{inv, "FIELD_INVALID", "customer.preferred_language"}},
		{Name: "33 identifiers", Method: mCreateCustomer, Req: create(nil, ids(33, nth)...), Want: Want{inv, "TOO_MANY_VALUES", "identifiers"}},
		{Name: "1000 identifiers", Method: mCreateCustomer, Req: create(nil, ids(1000, nth)...), Want: Want{inv, "TOO_MANY_VALUES", "identifiers"}},
		{Name: "withheld anonymous", Method: mCreateCustomer, Req: create(nil, Phone("anonymous")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifiers[0]"}},
		{Name: "withheld empty phone", Method: mCreateCustomer, Req: create(nil, Email("nieuw@example.nl"), Phone("")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifiers[1]"}},
		{Name: "withheld all zeros", Method: mCreateCustomer, Req: create(nil, Phone("0000000000")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifiers[0]"}},
		{Name: "withheld query private", Method: mCreateCustomer, Req: create(nil, Query("private")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifiers[0]"}},
		{Name: "empty identifier", Method: mCreateCustomer, Req: create(nil, &herkenv1.Identifier{}), Want: Want{inv, "IDENTIFIER_MISSING", "identifiers[0]"}},
		{Name: "email in phone_number", Method: mCreateCustomer, Req: create(nil, Phone("nieuw@example.nl")), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifiers[0].phone_number"}},
		{Name: "postcode in email", Method: mCreateCustomer, Req: create(nil, Email("3511 AB")), Want: Want{inv, "EMAIL_INVALID", "identifiers[0].email"}},
		{Name: "request_id 65 characters", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{Customer: named, RequestId: rep("r", 65)}, Want: Want{inv, "REQUEST_ID_INVALID", "request_id"}},
		{Name: "request_id not ASCII", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{Customer: named, RequestId: "aanvraag-één"}, Want: Want{inv, "REQUEST_ID_INVALID", "request_id"}},
		{Name: "no display name and no identifier", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{}, Want: Want{inv, "FIELD_REQUIRED", "customer.display_name"}},
		{Name: "empty customer and no identifier", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{}}, Want: Want{inv, "FIELD_REQUIRED", "customer.display_name"}},
		{Name: "blank display name and no identifier", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "  "}}, Want: Want{inv, "FIELD_REQUIRED", "customer.display_name"}},
		{Name: "only a request_id", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{RequestId: "nieuw-1"}, Want: Want{inv, "FIELD_REQUIRED", "customer.display_name"}},
		{Name: "external id of another customer", Method: mCreateCustomer, Req: create(nil, ExtID("K-100001")), Want: Want{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[0]"}, Holder: jan},
		{Name: "X handle of another customer, second", Method: mCreateCustomer, Req: create(named, Email("nieuw@example.nl"), Query("https://x.com/JanDeVries")), Want: Want{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[1]"}, Holder: jan},
		{Name: "placeholder email", Method: mCreateCustomer, Req: create(named, Email("test@test.com")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifiers[0]"}},
		{Name: "placeholder noreply email, second", Method: mCreateCustomer, Req: create(named, Phone("06-22223333"), Email("noreply@bol.com")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifiers[1]"}},
		{Name: "placeholder landline", Method: mCreateCustomer, Req: create(named, Phone("020-0000000")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifiers[0]"}},
		{Name: "placeholder external id", Method: mCreateCustomer, Req: create(named, ExtID("onbekend")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifiers[0]"}},
		{Name: "placeholder X handle", Method: mCreateCustomer, Req: create(named, Social(platformX, "unknown")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifiers[0]"}},
		{Name: "identifier_source with space", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{Customer: named, Identifiers: []*herkenv1.Identifier{Phone("06-22223333")}, IdentifierSource: "crm export"}, Want: Want{inv, "FIELD_INVALID", "identifier_source"}},
		{Name: "identifier_source 33 characters", Method: mCreateCustomer, Req: &herkenv1.CreateCustomerRequest{Customer: named, Identifiers: []*herkenv1.Identifier{Phone("06-22223333")}, IdentifierSource: rep("s", 33)}, Want: Want{inv, "FIELD_TOO_LONG", "identifier_source"}, Limit: "32"},
		{Name: "invalid UTF-8 in display_name", Method: mCreateCustomer, Raw: BadUTF8(create(&herkenv1.Customer{DisplayName: BadPlaceholder})), Want: Want{inv, "INVALID_ARGUMENT", "customer.display_name"}},
		{Name: "invalid UTF-8 in third tag", Method: mCreateCustomer, Raw: BadUTF8(create(&herkenv1.Customer{Tags: []string{"a", "b", BadPlaceholder}})), Want: Want{inv, "INVALID_ARGUMENT", "customer.tags[2]"}},
		{Name: "invalid UTF-8 in request_id", Method: mCreateCustomer, Raw: BadUTF8(&herkenv1.CreateCustomerRequest{RequestId: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "request_id"}},
		{Name: "invalid UTF-8 in second identifier", Method: mCreateCustomer, Raw: BadUTF8(create(nil, Phone("06-22223333"), Email(BadPlaceholder+"@example.nl"))), Want: Want{inv, "INVALID_ARGUMENT", "identifiers[1].email"}},
		{Name: "2 MiB request", Method: mCreateCustomer, Raw: huge, Want: Want{Code: codes.ResourceExhausted}, GRPCOwn: true},

		// ---- CustomerService/GetCustomer ----
		{Name: "empty name", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "collection only", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "id with a hyphen", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/jan-de-vries"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "id 65 characters", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/" + rep("a", 65)}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "slash inside the id", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: jan + "/x"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "wrong collection", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "users/" + strings.TrimPrefix(jan, "customers/")}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "bare id", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: strings.TrimPrefix(jan, "customers/")}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "uppercase id", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/" + upper(idOf(jan))}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "id with an underscore", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/jan_de_vries"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "interaction name", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: f.Answered}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "wildcard", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/-"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "path traversal", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/../../../etc/pass"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "name with newlines", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/0000\n\n0000000000"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "name of 100 KiB", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/" + rep("0", 100<<10)}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "unknown customer", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: unknownCustomer}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		// Ids are opaque: any id of the valid form that names no customer is
		// NOT_FOUND, whatever its length or letters.
		{Name: "unknown short id", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/abc"}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "unknown id of any letters", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/illuuooiilluuooii"}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "unknown id 64 characters", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/" + rep("a", 64)}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "unknown id of 24 hex digits", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: "customers/" + rep("0", 24)}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased customer", Method: mGetCustomer, Req: &herkenv1.GetCustomerRequest{Name: f.Erased}, Want: Want{codes.NotFound, "CUSTOMER_ERASED", ""}},
		{Name: "invalid UTF-8 in name", Method: mGetCustomer, Raw: BadUTF8(&herkenv1.GetCustomerRequest{Name: "customers/" + BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "name"}},

		// ---- InteractionService/RecordInteraction ----
		{Name: "no customer", Method: mRecord, Req: &herkenv1.RecordInteractionRequest{Interaction: ok}, Want: Want{inv, "FIELD_REQUIRED", "parent"}},
		{Name: "no interaction", Method: mRecord, Req: &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: jan}}, Want: Want{inv, "FIELD_REQUIRED", "interaction"}},
		{Name: "channel unspecified", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Channel = 0 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{Name: "unknown channel", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Channel = 99 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{Name: "negative channel", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Channel = -5 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{Name: "channel SYSTEM", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Channel = herkenv1.Channel_CHANNEL_SYSTEM }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{Name: "channel 256 (wraps to a valid byte)", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Channel = 256 + 1 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{Name: "direction unspecified", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Direction = 0 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.direction"}},
		{Name: "unknown direction", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Direction = 7 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.direction"}},
		{Name: "outcome unspecified", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Outcome = 0 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.outcome"}},
		{Name: "unknown outcome", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Outcome = math.MaxInt32 }), Want: Want{inv, "ENUM_VALUE_INVALID", "interaction.outcome"}},
		{Name: "agent 129 characters", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Agent = rep("a", 129) }), Want: Want{inv, "FIELD_TOO_LONG", "interaction.agent"}, Limit: "128"},
		{Name: "summary 4001 characters", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Summary = rep("ü", 4001) }), Want: Want{inv, "FIELD_TOO_LONG", "interaction.summary"}, Limit: "4000"},
		{Name: "summary of 1 MiB", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Summary = nearLimit }), Want: Want{inv, "FIELD_TOO_LONG", "interaction.summary"}, Limit: "4000"},
		{Name: "case_reference 129 characters", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.CaseReference = rep("c", 129) }), Want: Want{inv, "FIELD_TOO_LONG", "interaction.case_reference"}, Limit: "128"},
		{Name: "agent with newline", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Agent = "agent\n042" }), Want: Want{inv, "FIELD_INVALID", "interaction.agent"}},
		{Name: "occur_time an hour ahead", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = stamp(Now.Add(time.Hour)) }), Want: Want{inv, "TIME_INVALID", "interaction.occur_time"}},
		{Name: "occur_time before 1970", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = pre1970 }), Want: Want{inv, "TIME_INVALID", "interaction.occur_time"}},
		{Name: "occur_time negative nanos", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = badNanos }), Want: Want{inv, "TIME_INVALID", "interaction.occur_time"}},
		{Name: "occur_time year 10000", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = &timestamppb.Timestamp{Seconds: 253402300800} }), Want: Want{inv, "TIME_INVALID", "interaction.occur_time"}},
		{Name: "negative duration", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Duration = durationpb.New(-time.Second) }), Want: Want{inv, "TIME_INVALID", "interaction.duration"}},
		{Name: "duration 25 hours", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Duration = durationpb.New(25 * time.Hour) }), Want: Want{inv, "TIME_INVALID", "interaction.duration"}},
		{Name: "duration with mixed signs", Method: mRecord, Req: recordTo(func(i *herkenv1.Interaction) { i.Duration = &durationpb.Duration{Seconds: 10, Nanos: -1} }), Want: Want{inv, "TIME_INVALID", "interaction.duration"}},
		{Name: "malformed parent", Method: mRecord, Req: byParent("customer/"+strings.TrimPrefix(jan, "customers/"), ok), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "interaction name as parent", Method: mRecord, Req: byParent(f.Answered, ok), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "parent id 65 characters", Method: mRecord, Req: byParent("customers/"+rep("a", 65), ok), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "uppercase parent id", Method: mRecord, Req: byParent("customers/"+upper(idOf(jan)), ok), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "unknown parent", Method: mRecord, Req: byParent(unknownCustomer, ok), Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "unknown short parent", Method: mRecord, Req: byParent("customers/jan", ok), Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "withheld caller id", Method: mRecord, Req: byIdentifier(Phone("anonymous"), ok), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{Name: "withheld empty phone", Method: mRecord, Req: byIdentifier(Phone(""), ok), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{Name: "withheld query unknown", Method: mRecord, Req: byIdentifier(Query("unknown"), ok), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{Name: "placeholder email", Method: mRecord, Req: byIdentifier(Email("test@test.com"), ok), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifier"}},
		{Name: "placeholder landline", Method: mRecord, Req: byIdentifier(Query("020 000 0000"), ok), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifier"}},
		{Name: "erased parent", Method: mRecord, Req: byParent(f.Erased, ok), Want: Want{codes.NotFound, "CUSTOMER_ERASED", ""}},
		{Name: "identifier nobody holds", Method: mRecord, Req: byIdentifier(Phone("06-11111111"), ok), Want: Want{codes.NotFound, "IDENTIFIER_NOT_LINKED", ""}},
		{Name: "shared landline", Method: mRecord, Req: byIdentifier(Phone(Landline), ok), Want: Want{codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", ""}},
		{Name: "email in phone_number", Method: mRecord, Req: byIdentifier(Phone("jan@example.nl"), ok), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "empty identifier", Method: mRecord, Req: byIdentifier(&herkenv1.Identifier{}, ok), Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "request_id with slash", Method: mRecord, Req: &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: jan}, Interaction: ok, RequestId: "a/b"}, Want: Want{inv, "REQUEST_ID_INVALID", "request_id"}},
		{Name: "invalid UTF-8 in summary", Method: mRecord, Raw: BadUTF8(recordTo(func(i *herkenv1.Interaction) { i.Summary = "klant " + BadPlaceholder })), Want: Want{inv, "INVALID_ARGUMENT", "interaction.summary"}},
		{Name: "invalid UTF-8 in parent", Method: mRecord, Raw: BadUTF8(byParent(BadPlaceholder, ok)), Want: Want{inv, "INVALID_ARGUMENT", "parent"}},

		// ---- InteractionService/ListInteractions ----
		{Name: "empty parent", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{}, Want: Want{inv, "FIELD_REQUIRED", "parent"}},
		{Name: "malformed parent", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: "customers/Jan"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "parent with a slash inside", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan + "/interactions"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "wildcard without unanswered_feedback_only", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: "customers/-"}, Want: Want{inv, "FIELD_INVALID", "parent"}},
		{Name: "negative page_size", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: -1}, Want: Want{inv, "FIELD_INVALID", "page_size"}},
		{Name: "page_size MinInt32", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: math.MinInt32}, Want: Want{inv, "FIELD_INVALID", "page_size"}},
		{Name: "unknown channel", Method: mListInteraction, Req: withChannels([]herkenv1.Channel{42}), Want: Want{inv, "ENUM_VALUE_INVALID", "channels[0]"}},
		{Name: "1000 channels, the last unknown", Method: mListInteraction, Req: withChannels(channels1000), Want: Want{inv, "ENUM_VALUE_INVALID", "channels[999]"}},
		{Name: "end_time before start_time", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: stamp(Now), EndTime: stamp(Now.Add(-time.Hour))}, Want: Want{inv, "FIELD_INVALID", "end_time"}},
		{Name: "start_time before 1970", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: pre1970}, Want: Want{inv, "TIME_INVALID", "start_time"}},
		{Name: "end_time negative nanos", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, EndTime: badNanos}, Want: Want{inv, "TIME_INVALID", "end_time"}},
		{Name: "forged page token", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: "bm90IGEgdG9rZW4"}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "tampered page token", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2, PageToken: tamper(f.InteractionsToken)}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "truncated page token", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2, PageToken: f.InteractionsToken[:max(len(f.InteractionsToken)-4, 1)]}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token for other filters", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2, PageToken: f.InteractionsToken, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_EMAIL}}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token of another customer", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: anna, PageSize: 2, PageToken: f.InteractionsToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "ListPromises page token", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: f.PromisesToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token of 100 KiB", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: rep("A", 100<<10)}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "unknown customer", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: unknownCustomer}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased customer", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: f.Erased}, Want: Want{codes.NotFound, "CUSTOMER_ERASED", ""}},
		{Name: "unknown short customer id", Method: mListInteraction, Req: &herkenv1.ListInteractionsRequest{Parent: "customers/jan"}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "invalid UTF-8 in page_token", Method: mListInteraction, Raw: BadUTF8(&herkenv1.ListInteractionsRequest{Parent: jan, PageToken: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "page_token"}},

		// ---- InteractionService/SubmitFeedback ----
		{Name: "empty name", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Score: 3}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "customer name", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: jan, Score: 3}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "promise name", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: f.OpenPromise, Score: 3}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "uppercase interaction id", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: jan + "/interactions/" + upper(idOf(f.NoFeedback)), Score: 3}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "score 0", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: f.NoFeedback}, Want: Want{inv, "FIELD_INVALID", "score"}},
		{Name: "score 6", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: f.NoFeedback, Score: 6}, Want: Want{inv, "FIELD_INVALID", "score"}},
		{Name: "negative score", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: f.NoFeedback, Score: -3}, Want: Want{inv, "FIELD_INVALID", "score"}},
		{Name: "comment 4001 characters", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: f.NoFeedback, Score: 3, Comment: rep("c", 4001)}, Want: Want{inv, "FIELD_TOO_LONG", "comment"}, Limit: "4000"},
		{Name: "interaction id 65 characters", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: jan + "/interactions/" + rep("a", 65), Score: 3}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "slash inside the interaction id", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: f.NoFeedback + "/feedback", Score: 3}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "unknown interaction", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: unknownInteraction, Score: 3}, Want: Want{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{Name: "unknown short interaction id", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: jan + "/interactions/x", Score: 3}, Want: Want{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{Name: "interaction under an unknown customer", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: unknownCustomer + f.NoFeedback[strings.Index(f.NoFeedback, "/interactions/"):], Score: 3}, Want: Want{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{Name: "feedback given before", Method: mSubmitFeedback, Req: &herkenv1.SubmitFeedbackRequest{Name: f.Submitted, Score: 1}, Want: Want{codes.FailedPrecondition, "FEEDBACK_ALREADY_SUBMITTED", ""}},
		{Name: "invalid UTF-8 in comment", Method: mSubmitFeedback, Raw: BadUTF8(&herkenv1.SubmitFeedbackRequest{Name: f.NoFeedback, Score: 3, Comment: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "comment"}},

		// ---- InteractionService/AnswerFeedback ----
		{Name: "empty name", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Answer: "gebeld", AnsweredBy: "agent-042"}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "promise name", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.OpenPromise, Answer: "gebeld", AnsweredBy: "agent-042"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "no answer", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.Submitted, AnsweredBy: "agent-042"}, Want: Want{inv, "FIELD_REQUIRED", "answer"}},
		{Name: "blank answer", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.Submitted, Answer: " \n\t ", AnsweredBy: "agent-042"}, Want: Want{inv, "FIELD_REQUIRED", "answer"}},
		{Name: "no answered_by", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.Submitted, Answer: "gebeld"}, Want: Want{inv, "FIELD_REQUIRED", "answered_by"}},
		{Name: "answer 4001 characters", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.Submitted, Answer: rep("a", 4001), AnsweredBy: "agent-042"}, Want: Want{inv, "FIELD_TOO_LONG", "answer"}, Limit: "4000"},
		{Name: "answered_by 129 characters", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.Submitted, Answer: "gebeld", AnsweredBy: rep("b", 129)}, Want: Want{inv, "FIELD_TOO_LONG", "answered_by"}, Limit: "128"},
		{Name: "no feedback to answer", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.NoFeedback, Answer: "gebeld", AnsweredBy: "agent-042"}, Want: Want{codes.FailedPrecondition, "FEEDBACK_MISSING", ""}},
		{Name: "answered before", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: f.Answered, Answer: "nogmaals", AnsweredBy: "agent-042"}, Want: Want{codes.FailedPrecondition, "FEEDBACK_ALREADY_ANSWERED", ""}},
		{Name: "unknown interaction", Method: mAnswerFeedback, Req: &herkenv1.AnswerFeedbackRequest{Name: unknownInteraction, Answer: "gebeld", AnsweredBy: "agent-042"}, Want: Want{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{Name: "invalid UTF-8 in answered_by", Method: mAnswerFeedback, Raw: BadUTF8(&herkenv1.AnswerFeedbackRequest{Name: f.Submitted, Answer: "gebeld", AnsweredBy: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "answered_by"}},

		// ---- PromiseService/CreatePromise ----
		{Name: "no customer", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Promise: promise(func(*herkenv1.Promise) {})}, Want: Want{inv, "FIELD_REQUIRED", "parent"}},
		{Name: "no promise", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}}, Want: Want{inv, "FIELD_REQUIRED", "promise"}},
		{Name: "kind unspecified", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Kind = 0 }), Want: Want{inv, "ENUM_VALUE_INVALID", "promise.kind"}},
		{Name: "unknown kind", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Kind = 99 }), Want: Want{inv, "ENUM_VALUE_INVALID", "promise.kind"}},
		{Name: "description 1001 characters", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Description = rep("d", 1001) }), Want: Want{inv, "FIELD_TOO_LONG", "promise.description"}, Limit: "1000"},
		{Name: "owner with space", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Owner = "team techniek" }), Want: Want{inv, "FIELD_INVALID", "promise.owner"}},
		{Name: "owner with slash", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Owner = "team/../x" }), Want: Want{inv, "FIELD_INVALID", "promise.owner"}},
		{Name: "owner 129 characters", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Owner = rep("o", 129) }), Want: Want{inv, "FIELD_TOO_LONG", "promise.owner"}, Limit: "128"},
		{Name: "channel SYSTEM", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Channel = herkenv1.Channel_CHANNEL_SYSTEM }), Want: Want{inv, "ENUM_VALUE_INVALID", "promise.channel"}},
		{Name: "unknown channel", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Channel = 77 }), Want: Want{inv, "ENUM_VALUE_INVALID", "promise.channel"}},
		{Name: "no due_time for a delivery", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = nil }), Want: Want{inv, "FIELD_REQUIRED", "promise.due_time"}},
		{Name: "due_time 3 years ahead", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = stamp(Now.AddDate(3, 0, 0)) }), Want: Want{inv, "TIME_INVALID", "promise.due_time"}},
		{Name: "due_time before 1970", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = pre1970 }), Want: Want{inv, "TIME_INVALID", "promise.due_time"}},
		{Name: "due_time negative nanos", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = badNanos }), Want: Want{inv, "TIME_INVALID", "promise.due_time"}},
		{Name: "window starts after due", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.WindowStartTime = stamp(Now.Add(48 * time.Hour)) }), Want: Want{inv, "TIME_INVALID", "promise.window_start_time"}},
		{Name: "malformed interaction", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = jan + "/interactions/X" }), Want: Want{inv, "RESOURCE_NAME_INVALID", "promise.interaction"}},
		{Name: "interaction id with a slash", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = jan + "/interactions/x/y" }), Want: Want{inv, "RESOURCE_NAME_INVALID", "promise.interaction"}},
		{Name: "unknown short interaction", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = jan + "/interactions/x" }), Want: Want{codes.NotFound, "INTERACTION_NOT_FOUND", "promise.interaction"}},
		{Name: "interaction of another customer", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = f.AnnaLast }), Want: Want{inv, "FIELD_INVALID", "promise.interaction"}},
		{Name: "unknown interaction", Method: mCreatePromise, Req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = unknownInteraction }), Want: Want{codes.NotFound, "INTERACTION_NOT_FOUND", "promise.interaction"}},
		{Name: "malformed parent", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan + "/"}, Promise: promise(func(*herkenv1.Promise) {})}, Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "unknown parent", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: unknownCustomer}, Promise: promise(func(*herkenv1.Promise) {})}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "unknown short parent", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: "customers/x"}, Promise: promise(func(*herkenv1.Promise) {})}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "parent id 65 characters", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: "customers/" + rep("x", 65)}, Promise: promise(func(*herkenv1.Promise) {})}, Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "withheld caller id", Method: mCreatePromise, Req: promiseBy(Phone("private")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{Name: "shared landline", Method: mCreatePromise, Req: promiseBy(Phone(Landline)), Want: Want{codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", ""}},
		{Name: "placeholder email", Method: mCreatePromise, Req: promiseBy(Email("noreply@bol.com")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifier"}},
		{Name: "erased parent", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: f.Erased}, Promise: promise(func(*herkenv1.Promise) {})}, Want: Want{codes.NotFound, "CUSTOMER_ERASED", ""}},
		{Name: "identifier nobody holds", Method: mCreatePromise, Req: promiseBy(Email("nog.geen.klant@example.nl")), Want: Want{codes.NotFound, "IDENTIFIER_NOT_LINKED", ""}},
		{Name: "postcode in email", Method: mCreatePromise, Req: promiseBy(Email("1234AB")), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "request_id 65 characters", Method: mCreatePromise, Req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}, Promise: promise(func(*herkenv1.Promise) {}), RequestId: rep("r", 65)}, Want: Want{inv, "REQUEST_ID_INVALID", "request_id"}},
		{Name: "invalid UTF-8 in description", Method: mCreatePromise, Raw: BadUTF8(promiseTo(func(p *herkenv1.Promise) { p.Description = BadPlaceholder })), Want: Want{inv, "INVALID_ARGUMENT", "promise.description"}},

		// ---- PromiseService/GetPromise ----
		{Name: "empty name", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "customer name", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: jan}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "interaction name", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: f.Answered}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "trailing slash", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: f.OpenPromise + "/"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "uppercase promise id", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: jan + "/promises/" + upper(idOf(f.OpenPromise))}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "promise id 65 characters", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: jan + "/promises/" + rep("p", 65)}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "slash inside the promise id", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: f.OpenPromise + "/x"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "unknown promise", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: unknownPromise}, Want: Want{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{Name: "unknown short promise id", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: jan + "/promises/p"}, Want: Want{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{Name: "unknown promise id 64 characters", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: jan + "/promises/" + rep("p", 64)}, Want: Want{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{Name: "promise under another customer", Method: mGetPromise, Req: &herkenv1.GetPromiseRequest{Name: anna + "/promises/" + f.OpenPromise[strings.LastIndex(f.OpenPromise, "/")+1:]}, Want: Want{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{Name: "invalid UTF-8 in name", Method: mGetPromise, Raw: BadUTF8(&herkenv1.GetPromiseRequest{Name: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "name"}},

		// ---- PromiseService/KeepPromise ----
		{Name: "empty name", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Actor: "agent-042"}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "interaction name", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: f.Answered, Actor: "agent-042"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "no actor", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: f.OpenPromise}, Want: Want{inv, "FIELD_REQUIRED", "actor"}},
		{Name: "actor 129 characters", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: f.OpenPromise, Actor: rep("a", 129)}, Want: Want{inv, "FIELD_TOO_LONG", "actor"}, Limit: "128"},
		{Name: "actor with newline", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: f.OpenPromise, Actor: "agent\n042"}, Want: Want{inv, "FIELD_INVALID", "actor"}},
		{Name: "note 1001 characters", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: f.OpenPromise, Actor: "agent-042", Note: rep("n", 1001)}, Want: Want{inv, "FIELD_TOO_LONG", "note"}, Limit: "1000"},
		{Name: "unknown promise", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: unknownPromise, Actor: "agent-042"}, Want: Want{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{Name: "uppercase customer id", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: "customers/" + upper(idOf(jan)) + "/promises/" + idOf(f.OpenPromise), Actor: "agent-042"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "cancelled promise", Method: mKeepPromise, Req: &herkenv1.KeepPromiseRequest{Name: f.CancelledPromise, Actor: "agent-042"}, Want: Want{codes.FailedPrecondition, "PROMISE_NOT_OPEN", ""}},
		{Name: "invalid UTF-8 in note", Method: mKeepPromise, Raw: BadUTF8(&herkenv1.KeepPromiseRequest{Name: f.OpenPromise, Actor: "agent-042", Note: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "note"}},

		// ---- PromiseService/CancelPromise ----
		{Name: "empty name", Method: mCancelPromise, Req: &herkenv1.CancelPromiseRequest{Actor: "agent-042"}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "no actor", Method: mCancelPromise, Req: &herkenv1.CancelPromiseRequest{Name: f.OpenPromise, Note: "opgelost"}, Want: Want{inv, "FIELD_REQUIRED", "actor"}},
		{Name: "blank actor", Method: mCancelPromise, Req: &herkenv1.CancelPromiseRequest{Name: f.OpenPromise, Actor: "   "}, Want: Want{inv, "FIELD_REQUIRED", "actor"}},
		{Name: "note 1001 characters", Method: mCancelPromise, Req: &herkenv1.CancelPromiseRequest{Name: f.OpenPromise, Actor: "agent-042", Note: rep("n", 1001)}, Want: Want{inv, "FIELD_TOO_LONG", "note"}, Limit: "1000"},
		{Name: "kept promise", Method: mCancelPromise, Req: &herkenv1.CancelPromiseRequest{Name: f.KeptPromise, Actor: "agent-042"}, Want: Want{codes.FailedPrecondition, "PROMISE_NOT_OPEN", ""}},
		{Name: "unknown promise", Method: mCancelPromise, Req: &herkenv1.CancelPromiseRequest{Name: unknownPromise, Actor: "agent-042"}, Want: Want{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{Name: "interactions collection", Method: mCancelPromise, Req: &herkenv1.CancelPromiseRequest{Name: strings.Replace(f.OpenPromise, "/promises/", "/interactions/", 1), Actor: "agent-042"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "invalid UTF-8 in actor", Method: mCancelPromise, Raw: BadUTF8(&herkenv1.CancelPromiseRequest{Name: f.OpenPromise, Actor: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "actor"}},

		// ---- PromiseService/ListPromises ----
		{Name: "empty parent", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{}, Want: Want{inv, "FIELD_REQUIRED", "parent"}},
		{Name: "malformed parent", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/*"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "negative page_size", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: jan, PageSize: -50}, Want: Want{inv, "FIELD_INVALID", "page_size"}},
		{Name: "unknown state", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: jan, State: 99}, Want: Want{inv, "ENUM_VALUE_INVALID", "state"}},
		{Name: "KEPT across customers", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/-", State: herkenv1.PromiseState_PROMISE_STATE_KEPT}, Want: Want{inv, "FIELD_INVALID", "state"}},
		{Name: "overdue_only with state KEPT", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: jan, State: herkenv1.PromiseState_PROMISE_STATE_KEPT, OverdueOnly: true}, Want: Want{inv, "FIELD_INVALID", "state"}},
		{Name: "owner with space", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: "team billing"}, Want: Want{inv, "FIELD_INVALID", "owner"}},
		{Name: "owner 129 characters", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: rep("o", 129)}, Want: Want{inv, "FIELD_TOO_LONG", "owner"}, Limit: "128"},
		{Name: "due_before before 1970", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/-", DueBefore: pre1970}, Want: Want{inv, "TIME_INVALID", "due_before"}},
		{Name: "forged page token", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/-", PageToken: "eyJhZnRlciI6IngifQ"}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "tampered page token", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1, PageToken: tamper(f.PromisesToken)}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token for another owner", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1, Owner: "team-billing", PageToken: f.PromisesToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "ListInteractions page token", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: jan, PageToken: f.InteractionsToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "unknown customer", Method: mListPromises, Req: &herkenv1.ListPromisesRequest{Parent: unknownCustomer}, Want: Want{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "invalid UTF-8 in owner", Method: mListPromises, Raw: BadUTF8(&herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "owner"}},

		// ---- MaintenanceService/GetMaintenanceStatus (no fields to get wrong) ----
		{Name: "the codec's own marker, sent by a client", Method: mMaintenance, Raw: protowire.AppendString(protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType), "herken.v1/undecodable:"), Want: Want{inv, "INVALID_ARGUMENT", ""}},
	}
	rows = append(rows, noFieldRows(mMaintenance, garbage, huge)...)
	rows = append(rows, auditRows(f)...)
	rows = append(rows, noFieldRows(mBackup, garbage, huge)...)
	rows = append(rows, importRows(garbage, huge)...)
	rows = append(rows, screenPopRows(f, garbage, huge)...)
	return append(rows, lifecycleRows(f)...)
}

// noFieldRows are the rows of an RPC whose request has no fields to get
// wrong (GetMaintenanceStatus, Backup): requests that do not decode (the
// codec's INVALID_ARGUMENT, answered before the handler runs) and one too
// big for gRPC. They are all raw bytes, so they add no corpus seed.
func noFieldRows(method string, garbage, huge []byte) []Row {
	inv := codes.InvalidArgument
	return []Row{
		{Name: "not protobuf", Method: method, Raw: garbage, Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "truncated field", Method: method, Raw: protowire.AppendTag(nil, 1, protowire.BytesType), Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "group end without start", Method: method, Raw: protowire.AppendTag(nil, 5, protowire.EndGroupType), Want: Want{inv, "INVALID_ARGUMENT", ""}},
		{Name: "2 MiB request", Method: method, Raw: huge, Want: Want{Code: codes.ResourceExhausted}, GRPCOwn: true},
	}
}
