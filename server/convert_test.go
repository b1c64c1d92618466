package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/herken/herken"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The server converts API enums to domain enums (and back) by casting, so
// both must number their values the same way. These tests pin that down.

// checkEnumNumbering asserts every API value of enum maps to a domain value
// that valid accepts (0 to the unspecified value, which it refuses), and
// that the domain defines no valid value the API lacks.
func checkEnumNumbering(t *testing.T, enum protoreflect.EnumDescriptor, valid func(n uint8) bool) {
	t.Helper()
	values := enum.Values()
	apiNumbers := map[int32]string{}
	for i := range values.Len() {
		v := values.Get(i)
		apiNumbers[int32(v.Number())] = string(v.Name())
		switch n := v.Number(); {
		case n == 0:
			if !strings.HasSuffix(string(v.Name()), "_UNSPECIFIED") {
				t.Errorf("%s: value 0 is %s, want *_UNSPECIFIED", enum.FullName(), v.Name())
			}
			if valid(0) {
				t.Errorf("%s: domain accepts 0 (unspecified) as valid", enum.FullName())
			}
		case n < 0 || n > 255:
			t.Errorf("%s: %s = %d does not fit the domain's uint8", enum.FullName(), v.Name(), n)
		case !valid(uint8(n)):
			t.Errorf("%s: %s = %d is not a valid domain value", enum.FullName(), v.Name(), n)
		}
	}
	domainValid := 0
	for n := range 256 {
		if valid(uint8(n)) {
			domainValid++
			if _, ok := apiNumbers[int32(n)]; !ok {
				t.Errorf("%s: domain value %d has no API value", enum.FullName(), n)
			}
		}
	}
	if domainValid != values.Len()-1 {
		t.Errorf("%s: %d API values besides UNSPECIFIED, %d valid domain values", enum.FullName(), values.Len()-1, domainValid)
	}
}

func TestEnumNumbering(t *testing.T) {
	t.Run("Channel", func(t *testing.T) {
		checkEnumNumbering(t, herkenv1.Channel(0).Descriptor(), func(n uint8) bool { return herken.Channel(n).Valid() })
	})
	t.Run("Direction", func(t *testing.T) {
		checkEnumNumbering(t, herkenv1.Direction(0).Descriptor(), func(n uint8) bool { return herken.Direction(n).Valid() })
	})
	t.Run("InteractionOutcome", func(t *testing.T) {
		checkEnumNumbering(t, herkenv1.InteractionOutcome(0).Descriptor(), func(n uint8) bool { return herken.Outcome(n).Valid() })
	})
	t.Run("SocialPlatform", func(t *testing.T) {
		checkEnumNumbering(t, herkenv1.SocialPlatform(0).Descriptor(), func(n uint8) bool { return identity.Platform(n).Valid() })
	})
	t.Run("PromiseKind", func(t *testing.T) {
		checkEnumNumbering(t, herkenv1.PromiseKind(0).Descriptor(), func(n uint8) bool { return herken.PromiseKind(n).Valid() })
	})
	t.Run("PromiseState", func(t *testing.T) {
		checkEnumNumbering(t, herkenv1.PromiseState(0).Descriptor(), func(n uint8) bool { return herken.PromiseState(n).Valid() })
	})
	t.Run("IdentifierKind", func(t *testing.T) {
		checkEnumNumbering(t, herkenv1.IdentifierKind(0).Descriptor(), func(n uint8) bool { return identity.Kind(n).Valid() })
	})
}

// TestEnumNames pairs every value by name, so a swap of two values with
// the same count is caught too.
func TestEnumNames(t *testing.T) {
	pairs := []struct {
		api    protoreflect.Enum
		domain uint8
	}{
		{herkenv1.Channel_CHANNEL_UNSPECIFIED, uint8(herken.ChannelUnspecified)},
		{herkenv1.Channel_CHANNEL_PHONE, uint8(herken.ChannelPhone)},
		{herkenv1.Channel_CHANNEL_EMAIL, uint8(herken.ChannelEmail)},
		{herkenv1.Channel_CHANNEL_CHAT, uint8(herken.ChannelChat)},
		{herkenv1.Channel_CHANNEL_WHATSAPP, uint8(herken.ChannelWhatsApp)},
		{herkenv1.Channel_CHANNEL_SOCIAL, uint8(herken.ChannelSocial)},
		{herkenv1.Channel_CHANNEL_SMS, uint8(herken.ChannelSMS)},
		{herkenv1.Channel_CHANNEL_WEB, uint8(herken.ChannelWeb)},
		{herkenv1.Channel_CHANNEL_STORE, uint8(herken.ChannelStore)},
		{herkenv1.Channel_CHANNEL_LETTER, uint8(herken.ChannelLetter)},
		{herkenv1.Channel_CHANNEL_SYSTEM, uint8(herken.ChannelSystem)},

		{herkenv1.PromiseKind_PROMISE_KIND_UNSPECIFIED, uint8(herken.PromiseKindUnspecified)},
		{herkenv1.PromiseKind_PROMISE_KIND_CALLBACK, uint8(herken.PromiseCallback)},
		{herkenv1.PromiseKind_PROMISE_KIND_DELIVERY, uint8(herken.PromiseDelivery)},
		{herkenv1.PromiseKind_PROMISE_KIND_REFUND, uint8(herken.PromiseRefund)},
		{herkenv1.PromiseKind_PROMISE_KIND_VISIT, uint8(herken.PromiseVisit)},
		{herkenv1.PromiseKind_PROMISE_KIND_INFORMATION, uint8(herken.PromiseInformation)},
		{herkenv1.PromiseKind_PROMISE_KIND_OTHER, uint8(herken.PromiseOther)},

		{herkenv1.PromiseState_PROMISE_STATE_UNSPECIFIED, uint8(herken.PromiseStateUnspecified)},
		{herkenv1.PromiseState_PROMISE_STATE_OPEN, uint8(herken.PromiseOpen)},
		{herkenv1.PromiseState_PROMISE_STATE_KEPT, uint8(herken.PromiseKept)},
		{herkenv1.PromiseState_PROMISE_STATE_BROKEN, uint8(herken.PromiseBroken)},
		{herkenv1.PromiseState_PROMISE_STATE_CANCELLED, uint8(herken.PromiseCancelled)},

		{herkenv1.Direction_DIRECTION_UNSPECIFIED, uint8(herken.DirectionUnspecified)},
		{herkenv1.Direction_DIRECTION_INBOUND, uint8(herken.DirectionInbound)},
		{herkenv1.Direction_DIRECTION_OUTBOUND, uint8(herken.DirectionOutbound)},

		{herkenv1.InteractionOutcome_INTERACTION_OUTCOME_UNSPECIFIED, uint8(herken.OutcomeUnspecified)},
		{herkenv1.InteractionOutcome_INTERACTION_OUTCOME_RESOLVED, uint8(herken.OutcomeResolved)},
		{herkenv1.InteractionOutcome_INTERACTION_OUTCOME_FOLLOW_UP, uint8(herken.OutcomeFollowUp)},
		{herkenv1.InteractionOutcome_INTERACTION_OUTCOME_ESCALATED, uint8(herken.OutcomeEscalated)},
		{herkenv1.InteractionOutcome_INTERACTION_OUTCOME_TRANSFERRED, uint8(herken.OutcomeTransferred)},

		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_UNSPECIFIED, uint8(identity.PlatformUnspecified)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_X, uint8(identity.PlatformX)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_FACEBOOK, uint8(identity.PlatformFacebook)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM, uint8(identity.PlatformInstagram)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_WHATSAPP, uint8(identity.PlatformWhatsApp)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_TELEGRAM, uint8(identity.PlatformTelegram)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_LINKEDIN, uint8(identity.PlatformLinkedIn)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_TIKTOK, uint8(identity.PlatformTikTok)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_YOUTUBE, uint8(identity.PlatformYouTube)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_SNAPCHAT, uint8(identity.PlatformSnapchat)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_THREADS, uint8(identity.PlatformThreads)},
		{herkenv1.SocialPlatform_SOCIAL_PLATFORM_MASTODON, uint8(identity.PlatformMastodon)},

		{herkenv1.IdentifierKind_IDENTIFIER_KIND_UNSPECIFIED, uint8(identity.KindUnspecified)},
		{herkenv1.IdentifierKind_IDENTIFIER_KIND_PHONE_NUMBER, uint8(identity.KindPhone)},
		{herkenv1.IdentifierKind_IDENTIFIER_KIND_EMAIL, uint8(identity.KindEmail)},
		{herkenv1.IdentifierKind_IDENTIFIER_KIND_SOCIAL_HANDLE, uint8(identity.KindSocial)},
		{herkenv1.IdentifierKind_IDENTIFIER_KIND_EXTERNAL_ID, uint8(identity.KindExternalID)},
		{herkenv1.IdentifierKind_IDENTIFIER_KIND_POSTAL_ADDRESS, uint8(identity.KindPostalAddress)},

		{herkenv1.MatchOutcome_MATCH_OUTCOME_UNSPECIFIED, uint8(herken.MatchUnspecified)},
		{herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND, uint8(herken.MatchFound)},
		{herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS, uint8(herken.MatchAmbiguous)},
		{herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND, uint8(herken.MatchNotFound)},

		{herkenv1.ResolveOutcome_RESOLVE_OUTCOME_UNSPECIFIED, uint8(herken.ResolveUnspecified)},
		{herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, uint8(herken.ResolveMatched)},
		{herkenv1.ResolveOutcome_RESOLVE_OUTCOME_PARTIAL, uint8(herken.ResolvePartial)},
		{herkenv1.ResolveOutcome_RESOLVE_OUTCOME_AMBIGUOUS, uint8(herken.ResolveAmbiguous)},
		{herkenv1.ResolveOutcome_RESOLVE_OUTCOME_CONFLICT, uint8(herken.ResolveConflict)},
		{herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND, uint8(herken.ResolveNotFound)},
	}
	seen := map[protoreflect.FullName]int{}
	for _, p := range pairs {
		d := p.api.Descriptor()
		seen[d.FullName()]++
		if n := p.api.Number(); int32(n) != int32(p.domain) {
			name := d.Values().ByNumber(n).Name()
			t.Errorf("%s.%s = %d, domain = %d", d.FullName(), name, n, p.domain)
		}
	}
	// Every value of every paired enum is listed above.
	for _, p := range pairs {
		d := p.api.Descriptor()
		if n := seen[d.FullName()]; n != d.Values().Len() {
			t.Errorf("%s has %d values, %d paired", d.FullName(), d.Values().Len(), n)
			seen[d.FullName()] = d.Values().Len() // report once
		}
	}
}

// domainReasons parses the domain's error.go and identity/errors.go and
// returns the string values of their Reason* constants (the domain's
// aliases of identity's reasons are skipped: they are the same values).
func domainReasons(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	// The server's own refusals (auth, rate limit) are in errors.go here.
	for _, path := range []string{"../error.go", "../identity/errors.go", "errors.go"} {
		domainReasonsIn(t, path, out)
	}
	if len(out) == 0 {
		t.Fatal("no Reason constants found in error.go or identity/errors.go")
	}
	return out
}

func domainReasonsIn(t *testing.T, path string, out map[string]string) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Reason") {
					continue
				}
				if i >= len(vs.Values) {
					t.Fatalf("%s has no explicit value", name.Name)
				}
				if _, alias := vs.Values[i].(*ast.SelectorExpr); alias {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[v] = name.Name
			}
		}
	}
}

// TestErrorReasons: the reasons the domain can send and the ones the API
// documents are the same set.
func TestErrorReasons(t *testing.T) {
	domain := domainReasons(t)
	api := map[string]bool{}
	for _, name := range herkenv1.ErrorReason_name {
		if name == "ERROR_REASON_UNSPECIFIED" {
			continue
		}
		reason, ok := strings.CutPrefix(name, "ERROR_REASON_")
		if !ok {
			t.Errorf("ErrorReason value %s lacks the ERROR_REASON_ prefix", name)
			continue
		}
		api[reason] = true
		if _, ok := domain[reason]; !ok {
			t.Errorf("API reason %s (ERROR_REASON_%s) has no Reason constant in error.go, identity/errors.go or server/errors.go", reason, reason)
		}
	}
	var missing []string
	for reason, constName := range domain {
		if !api[reason] {
			missing = append(missing, constName+" = "+strconv.Quote(reason))
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("%s is not documented in ErrorReason (errors.proto)", m)
	}
	// The parsed values are the compiled ones.
	for reason, constName := range map[string]string{
		herken.ReasonPhoneInvalid:        "ReasonPhoneInvalid",
		herken.ReasonIdentifierLinked:    "ReasonIdentifierLinked",
		herken.ReasonEnumInvalid:         "ReasonEnumInvalid",
		herken.ReasonInternal:            "ReasonInternal",
		herken.ReasonResourceNameInvalid: "ReasonResourceNameInvalid",
	} {
		if domain[reason] != constName {
			t.Errorf("parsed %s = %q, compiled value differs", constName, reason)
		}
	}
}
