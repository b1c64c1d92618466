package identity

import (
	"strings"
	"testing"
)

func TestParsePlatform(t *testing.T) {
	for name, want := range map[string]Platform{
		"x": PlatformX, "X": PlatformX, "twitter": PlatformX, "Twitter": PlatformX, "X (Twitter)": PlatformX,
		"x  (twitter)": PlatformX, " twitter/x ": PlatformX,
		"facebook": PlatformFacebook, "fb": PlatformFacebook, "FB": PlatformFacebook, "Messenger": PlatformFacebook,
		"instagram": PlatformInstagram, "ig": PlatformInstagram, "Insta": PlatformInstagram,
		"whatsapp": PlatformWhatsApp, "WhatsApp": PlatformWhatsApp, "wa": PlatformWhatsApp, "WhatsApp Business": PlatformWhatsApp,
		"telegram": PlatformTelegram, "tg": PlatformTelegram,
		"linkedin": PlatformLinkedIn, "LinkedIn": PlatformLinkedIn, "Linked In": PlatformLinkedIn,
		"tiktok": PlatformTikTok, "TikTok": PlatformTikTok, "tik tok": PlatformTikTok,
		"youtube": PlatformYouTube, "YouTube": PlatformYouTube, "yt": PlatformYouTube,
		"snapchat": PlatformSnapchat, "snap": PlatformSnapchat,
		"threads": PlatformThreads, "mastodon": PlatformMastodon, "Mastodon": PlatformMastodon,
	} {
		got, ok := ParsePlatform(name)
		if !ok || got != want {
			t.Errorf("ParsePlatform(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	// Every canonical name parses to its platform.
	for p := PlatformX; p < platformEnd; p++ {
		if got, ok := ParsePlatform(p.String()); !ok || got != p {
			t.Errorf("ParsePlatform(%q) = %v, %v", p.String(), got, ok)
		}
	}
	for _, name := range []string{"", "unknown", "myspace", "tel", "http", "https", "mailto", "crm", "ext", "twitterx",
		"x.com", "ｘ", "instagram instagram instagram instagram"} {
		if got, ok := ParsePlatform(name); ok {
			t.Errorf("ParsePlatform(%q) = %v, want not ok", name, got)
		}
	}
}

func TestSocial(t *testing.T) {
	n := newTestNormalizer(t)
	for _, tc := range []struct {
		p    Platform
		in   string
		want string
	}{
		// Bare handles with the platform given.
		{PlatformX, "jan", "x:jan"},
		{PlatformX, "@JanDeVries", "x:jandevries"},
		{PlatformX, " @jan_1985 ", "x:jan_1985"},
		{PlatformInstagram, "@jan.devries", "instagram:jan.devries"},
		{PlatformFacebook, "jan.devries", "facebook:jan.devries"},
		{PlatformFacebook, "100012345678", "facebook:100012345678"},
		{PlatformTelegram, "@JanDeVries", "telegram:jandevries"},
		{PlatformLinkedIn, "jan-de-vries-123", "linkedin:jan-de-vries-123"},
		{PlatformTikTok, "@jan.de_vries", "tiktok:jan.de_vries"},
		{PlatformYouTube, "@Jan-de-Vries", "youtube:jan-de-vries"},
		{PlatformSnapchat, "jan-dv", "snapchat:jan-dv"},
		{PlatformThreads, "@jan.devries", "threads:jan.devries"},
		{PlatformMastodon, "@jan@mastodon.social", "mastodon:jan@mastodon.social"},
		{PlatformMastodon, "Jan@Mastodon.Social", "mastodon:jan@mastodon.social"},
		{PlatformMastodon, "jan@bücher.social", "mastodon:jan@xn--bcher-kva.social"},
		{PlatformWhatsApp, "+31 6 12345678", "whatsapp:+31612345678"},
		{PlatformWhatsApp, "06-12345678", "whatsapp:+31612345678"},
		{PlatformWhatsApp, "0031612345678", "whatsapp:+31612345678"},
		// "platform:handle".
		{PlatformUnspecified, "x:@jan", "x:jan"},
		{PlatformUnspecified, "twitter:jan", "x:jan"},
		{PlatformUnspecified, "X (Twitter): @Jan", "x:jan"},
		{PlatformUnspecified, "ig:jan", "instagram:jan"},
		{PlatformUnspecified, "instagram:@jan", "instagram:jan"},
		{PlatformUnspecified, "fb:jan.devries", "facebook:jan.devries"},
		{PlatformUnspecified, "whatsapp:+31612345678", "whatsapp:+31612345678"},
		{PlatformUnspecified, "wa:06 12345678", "whatsapp:+31612345678"},
		{PlatformUnspecified, "mastodon:jan@mastodon.social", "mastodon:jan@mastodon.social"},
		{PlatformUnspecified, "mastodon:@jan@mastodon.social", "mastodon:jan@mastodon.social"},
		{PlatformX, "x:jan", "x:jan"},
		{PlatformX, "twitter:@jan", "x:jan"},
		// Profile URLs.
		{PlatformUnspecified, "https://x.com/jan", "x:jan"},
		{PlatformUnspecified, "https://twitter.com/Jan", "x:jan"},
		{PlatformUnspecified, "http://mobile.twitter.com/Jan/", "x:jan"},
		{PlatformUnspecified, "x.com/jan?s=20&t=abc", "x:jan"},
		{PlatformUnspecified, "https://x.com/jan/status/1234567890", "x:jan"},
		{PlatformX, "https://x.com/jan", "x:jan"},
		{PlatformUnspecified, "https://www.instagram.com/jan.devries/", "instagram:jan.devries"},
		{PlatformUnspecified, "instagram.com/jan.devries?igsh=abc123", "instagram:jan.devries"},
		{PlatformUnspecified, "HTTPS://WWW.INSTAGRAM.COM/Jan.DeVries", "instagram:jan.devries"},
		{PlatformUnspecified, "https://facebook.com/jan.devries", "facebook:jan.devries"},
		{PlatformUnspecified, "https://m.facebook.com/jan.devries#about", "facebook:jan.devries"},
		{PlatformUnspecified, "https://www.facebook.com/profile.php?id=100012345678", "facebook:100012345678"},
		{PlatformUnspecified, "https://www.facebook.com/profile.php?sk=about&id=100012345678", "facebook:100012345678"},
		{PlatformUnspecified, "https://www.facebook.com/people/Jan-de-Vries/100012345678/", "facebook:100012345678"},
		{PlatformUnspecified, "https://t.me/jandevries", "telegram:jandevries"},
		{PlatformUnspecified, "t.me/JanDeVries", "telegram:jandevries"},
		{PlatformUnspecified, "https://telegram.me/jandevries", "telegram:jandevries"},
		{PlatformUnspecified, "https://www.linkedin.com/in/jan-de-vries-123/", "linkedin:jan-de-vries-123"},
		{PlatformUnspecified, "https://nl.linkedin.com/in/jan-de-vries-123", "linkedin:jan-de-vries-123"},
		{PlatformUnspecified, "linkedin.com/in/Jan-de-Vries-123?originalSubdomain=nl", "linkedin:jan-de-vries-123"},
		{PlatformUnspecified, "https://www.linkedin.com/in/jan%2Dde%2Dvries/", "linkedin:jan-de-vries"},
		{PlatformUnspecified, "https://www.linkedin.com/in/jan%2dde%2dvries", "linkedin:jan-de-vries"},
		{PlatformUnspecified, "https://www.tiktok.com/@jan", "tiktok:jan"},
		{PlatformUnspecified, "https://www.tiktok.com/@jan/video/7234567890123456789", "tiktok:jan"},
		{PlatformUnspecified, "https://youtube.com/@jan", "youtube:jan"},
		{PlatformUnspecified, "https://m.youtube.com/@Jan-de-Vries/videos", "youtube:jan-de-vries"},
		{PlatformUnspecified, "https://wa.me/31612345678", "whatsapp:+31612345678"},
		{PlatformUnspecified, "wa.me/31612345678?text=hallo", "whatsapp:+31612345678"},
		{PlatformUnspecified, "https://api.whatsapp.com/send?phone=31612345678&text=hallo", "whatsapp:+31612345678"},
		{PlatformUnspecified, "https://api.whatsapp.com/send?phone=%2B31612345678", "whatsapp:+31612345678"},
		{PlatformUnspecified, "https://www.snapchat.com/add/jan-dv", "snapchat:jan-dv"},
		{PlatformUnspecified, "https://threads.net/@jan", "threads:jan"},
		{PlatformUnspecified, "https://www.threads.com/@jan.devries", "threads:jan.devries"},
		{PlatformUnspecified, "https://mastodon.social/@jan", "mastodon:jan@mastodon.social"},
		{PlatformUnspecified, "https://mastodon.example.nl/@Jan", "mastodon:jan@mastodon.example.nl"},
		{PlatformUnspecified, "https://mastodon.social/@jan@fosstodon.org", "mastodon:jan@fosstodon.org"},
		{PlatformMastodon, "https://social.example.nl/@jan", "mastodon:jan@social.example.nl"},
		{PlatformMastodon, "https://social.example.nl/users/jan", "mastodon:jan@social.example.nl"},
		{PlatformUnspecified, "https://x.com:443/jan", "x:jan"},
	} {
		t.Run(tc.p.String()+" "+tc.in, func(t *testing.T) {
			got, err := n.Social(tc.p, tc.in)
			if err != nil {
				t.Fatalf("Social(%v, %q): %v", tc.p, tc.in, err)
			}
			checkIdentifier(t, got, KindSocial)
			if got.Value != tc.want {
				t.Fatalf("Social(%v, %q) = %q, want %q", tc.p, tc.in, got.Value, tc.want)
			}
			if !strings.HasPrefix(got.Value, got.Platform.String()+":") {
				t.Fatalf("value %q does not start with platform %v", got.Value, got.Platform)
			}
			again, err := n.Social(PlatformUnspecified, got.Value)
			if err != nil || again != got {
				t.Fatalf("Social(%q) = %+v, %v; not idempotent", got.Value, again, err)
			}
		})
	}
}

func TestSocialInvalid(t *testing.T) {
	n := newTestNormalizer(t)
	const handle, platform = "social_handle.handle", "social_handle.platform"
	for _, tc := range []struct {
		p      Platform
		in     string
		reason string
		field  string
	}{
		{PlatformX, "", ReasonIdentifierMissing, handle},
		{PlatformX, "   ", ReasonIdentifierMissing, handle},
		{Platform(99), "jan", ReasonSocialPlatformInvalid, platform},
		{platformEnd, "jan", ReasonSocialPlatformInvalid, platform},
		{PlatformUnspecified, "jan", ReasonSocialPlatformInvalid, platform},
		{PlatformUnspecified, "@jan", ReasonSocialPlatformInvalid, platform},
		{PlatformUnspecified, "myspace:jan", ReasonSocialPlatformInvalid, platform},
		{PlatformUnspecified, "https://example.com/jan", ReasonSocialPlatformInvalid, platform},
		{PlatformUnspecified, "https://medium.com/@jan", ReasonSocialPlatformInvalid, platform},
		// Handle syntax per platform.
		{PlatformX, "@", ReasonSocialHandleInvalid, handle},
		{PlatformX, "@@jan", ReasonSocialHandleInvalid, handle},
		{PlatformX, "jan_de_vries_1985", ReasonSocialHandleInvalid, handle},
		{PlatformX, "jan.devries", ReasonSocialHandleInvalid, handle},
		{PlatformX, "jan de vries", ReasonSocialHandleInvalid, handle},
		{PlatformX, "jän", ReasonSocialHandleInvalid, handle},
		{PlatformInstagram, strings.Repeat("j", 31), ReasonSocialHandleInvalid, handle},
		{PlatformInstagram, "jan-devries", ReasonSocialHandleInvalid, handle},
		{PlatformFacebook, "jan", ReasonSocialHandleInvalid, handle},
		{PlatformFacebook, "jan_devries", ReasonSocialHandleInvalid, handle},
		{PlatformTelegram, "jan", ReasonSocialHandleInvalid, handle},
		{PlatformTelegram, "jan.devries", ReasonSocialHandleInvalid, handle},
		{PlatformLinkedIn, "jd", ReasonSocialHandleInvalid, handle},
		{PlatformLinkedIn, "jan_de_vries", ReasonSocialHandleInvalid, handle},
		{PlatformTikTok, "j", ReasonSocialHandleInvalid, handle},
		{PlatformYouTube, "jd", ReasonSocialHandleInvalid, handle},
		{PlatformSnapchat, "jan-de-vries-1985", ReasonSocialHandleInvalid, handle},
		{PlatformThreads, "jan-dv", ReasonSocialHandleInvalid, handle},
		{PlatformMastodon, "jan", ReasonSocialHandleInvalid, handle},
		{PlatformMastodon, "@jan@localhost", ReasonSocialHandleInvalid, handle},
		{PlatformMastodon, "jan@@mastodon.social", ReasonSocialHandleInvalid, handle},
		{PlatformMastodon, "j+n@mastodon.social", ReasonSocialHandleInvalid, handle},
		{PlatformWhatsApp, "jan", ReasonSocialHandleInvalid, handle},
		{PlatformWhatsApp, "+31 6 1234", ReasonSocialHandleInvalid, handle},
		{PlatformWhatsApp, "anonymous", ReasonSocialHandleInvalid, handle},
		{PlatformWhatsApp, "0000", ReasonSocialHandleInvalid, handle},
		{PlatformWhatsApp, "06-12345678 x12", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "x:", ReasonSocialHandleInvalid, handle},
		// Platform given and the handle says another.
		{PlatformInstagram, "https://x.com/jan", ReasonSocialHandleInvalid, handle},
		{PlatformInstagram, "x:jan", ReasonSocialHandleInvalid, handle},
		{PlatformX, "https://mastodon.social/@jan", ReasonSocialHandleInvalid, handle},
		{PlatformMastodon, "https://x.com/jan", ReasonSocialHandleInvalid, handle},
		{PlatformX, "https://example.com/jan", ReasonSocialHandleInvalid, handle},
		// URLs that are not profiles.
		{PlatformUnspecified, "https://x.com", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://x.com/", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://x.com/home", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://x.com/i/status/123", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://x.com/intent/tweet?text=hi", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.instagram.com/p/Cabc123/", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.facebook.com/groups/123456", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.facebook.com/profile.php", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.facebook.com/profile.php?id=abc", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://t.me/joinchat/AbCdEf", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.linkedin.com/company/acme", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.linkedin.com/in/", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.linkedin.com/in/jan-de-vri%C3%ABs", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.linkedin.com/in/jan%2", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.tiktok.com/jan", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.youtube.com/watch?v=dQw4w9WgXcQ", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.youtube.com/channel/UC1234567890", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://wa.me/message/ABCDEF", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://wa.me/3161234", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://api.whatsapp.com/send?text=hi", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://www.snapchat.com/discover/x", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://mastodon.social/explore", ReasonSocialHandleInvalid, handle},
		{PlatformUnspecified, "https://x.com/" + strings.Repeat("j", 600), ReasonSocialHandleInvalid, handle},
	} {
		_, err := n.Social(tc.p, tc.in)
		if err == nil {
			t.Errorf("Social(%v, %q) = nil error, want %s", tc.p, tc.in, tc.reason)
			continue
		}
		wantInvalid(t, err, tc.reason, tc.field)
	}
}
