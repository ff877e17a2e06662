package sms

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/webotp/webotp/verifier/internal/fakes"
)

var testCall = VoiceCall{
	To:             "+14155550123",
	Code:           "123456",
	AppName:        "Demo",
	VerificationID: "vid_abcdefghijklmnopqrs",
	AppID:          "demo",
	Send:           1,
}

func TestSayLanguage(t *testing.T) {
	tests := []struct{ name, locale, want string }{
		{"no locale is American English", "", "en-US"},
		{"an unknown language is American English", "xx", "en-US"},
		{"a language without a voice is American English", "zh-CN", "en-US"},
		{"a language alone gets its usual region", "fr", "fr-FR"},
		{"a region a voice speaks is kept", "fr-CA", "fr-CA"},
		{"a region no voice speaks falls back to the usual one", "fr-BE", "fr-FR"},
		{"Portuguese alone is Brazilian", "pt", "pt-BR"},
		{"European Portuguese is kept", "pt-PT", "pt-PT"},
		{"British English is kept", "en-GB", "en-GB"},
		{"case and underscores are ignored", "ES_mx", "es-MX"},
		{"a script subtag is skipped", "es-Latn-US", "es-US"},
		{"German", "de-AT", "de-DE"},
		{"Italian", "it", "it-IT"},
		{"Japanese", "ja-JP", "ja-JP"},
		{"Dutch", "nl-BE", "nl-NL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SayLanguage(tt.locale); got != tt.want {
				t.Errorf("SayLanguage(%q) = %q, want %q", tt.locale, got, tt.want)
			}
		})
	}
}

// twimlDoc is the part of a TwiML document the tests read.
type twimlDoc struct {
	XMLName xml.Name `xml:"Response"`
	Says    []struct {
		Language string `xml:"language,attr"`
		Voice    string `xml:"voice,attr"`
		Text     string `xml:",chardata"`
	} `xml:"Say"`
	Pauses []struct {
		Length string `xml:"length,attr"`
	} `xml:"Pause"`
}

func parseTwiML(t *testing.T, s string) twimlDoc {
	t.Helper()
	var doc twimlDoc
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("TwiML %q is not XML: %v", s, err)
	}
	return doc
}

func TestTwiMLReadsTheCodeDigitByDigitTwice(t *testing.T) {
	tests := []struct {
		name, locale, app, lang, words string
	}{
		{"in English by default", "", "Demo", "en-US", "Your Demo verification code is"},
		{"in French", "fr-FR", "Demo", "fr-FR", "Votre code de vérification Demo est"},
		{"in German", "de", "Demo", "de-DE", "Ihr Bestätigungscode für Demo lautet"},
		{"in Spanish", "es-MX", "Demo", "es-MX", "Su código de verificación de Demo es"},
		{"in Portuguese", "pt-PT", "Demo", "pt-PT", "O seu código de verificação Demo é"},
		{"in Italian", "it", "Demo", "it-IT", "Il tuo codice di verifica Demo è"},
		{"in Dutch", "nl", "Demo", "nl-NL", "Uw verificatiecode voor Demo is"},
		{"in Japanese", "ja", "Demo", "ja-JP", "Demoの確認コードは"},
		{"in English for an unknown locale", "tlh", "Demo", "en-US", "Your Demo verification code is"},
		{"without an app name", "en", "", "en-US", "Your verification code is"},
		{"with an app name that is markup, escaped", "en", `<Tom & "Jerry's">`, "en-US", `Your <Tom & "Jerry's"> verification code is`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCall
			c.Locale, c.AppName = tt.locale, tt.app
			s, err := TwiML(c, "")
			if err != nil {
				t.Fatal(err)
			}
			doc := parseTwiML(t, s)
			if len(doc.Says) != 2 || len(doc.Pauses) != 2 {
				t.Fatalf("TwiML %s: %d Say and %d Pause, want 2 and 2", s, len(doc.Says), len(doc.Pauses))
			}
			for i, say := range doc.Says {
				if say.Language != tt.lang || say.Voice != "" {
					t.Errorf("Say %d: language %q voice %q, want %q and none", i, say.Language, say.Voice, tt.lang)
				}
				if !strings.Contains(say.Text, "1, 2, 3, 4, 5, 6") {
					t.Errorf("Say %d %q does not spell the code", i, say.Text)
				}
			}
			if !strings.HasPrefix(doc.Says[0].Text, tt.words) {
				t.Errorf("first Say %q, want it to start with %q", doc.Says[0].Text, tt.words)
			}
			if strings.Contains(s, "123456") {
				t.Errorf("TwiML %s holds the code as a number", s)
			}
			lang, sentences := VoiceScript(c)
			if lang != tt.lang || len(sentences) != 2 || sentences[0] != doc.Says[0].Text || sentences[1] != doc.Says[1].Text {
				t.Errorf("VoiceScript = %q %q, want what the TwiML says", lang, sentences)
			}
			if Transcript(c) != sentences[0]+"\n"+sentences[1] {
				t.Errorf("Transcript = %q", Transcript(c))
			}
		})
	}
}

func TestTwiMLNamesTheVoiceAndRefusesAnEmptyCode(t *testing.T) {
	s, err := TwiML(testCall, `Polly.Joanna"x`)
	if err != nil {
		t.Fatal(err)
	}
	for _, say := range parseTwiML(t, s).Says {
		if say.Voice != `Polly.Joanna"x` {
			t.Errorf("voice %q", say.Voice)
		}
	}
	c := testCall
	c.Code = ""
	if _, err := TwiML(c, ""); err == nil {
		t.Error("TwiML accepted an empty code")
	}
}

func TestTwilioCall(t *testing.T) {
	tests := []struct {
		name      string
		cfg       TwilioConfig
		locale    string
		status    int
		answer    string
		wantErr   string
		from      string
		lang      string
		voice     string
		wantCalls int
	}{
		{"a call is placed from From in the locale's language", TwilioConfig{From: "+15005550006"}, "fr",
			201, `{"sid":"CA1","status":"queued"}`, "", "+15005550006", "fr-FR", "", 1},
		{"CallFrom wins over From, and the language's voice is named",
			TwilioConfig{From: "+15005550006", CallFrom: "+15005550007", Voices: map[string]string{"de-DE": "Google.de-DE-Standard-A"}}, "de-CH",
			201, `{"sid":"CA1"}`, "", "+15005550007", "de-DE", "Google.de-DE-Standard-A", 1},
		{"CallFrom lets a messaging service account call", TwilioConfig{MessagingServiceSID: "MG123", CallFrom: "+15005550007"}, "",
			201, `{"sid":"CA1"}`, "", "+15005550007", "en-US", "", 1},
		{"an error answer names Twilio's code but not its message", TwilioConfig{From: "+15005550006"}, "",
			400, `{"code":21215,"message":"Account not authorized to call +14155550123.","more_info":"https://www.twilio.com/docs/errors/21215"}`,
			"error 21215", "+15005550006", "en-US", "", 1},
		{"an alphanumeric sender cannot call, and nothing is sent", TwilioConfig{From: "DEMO"}, "",
			201, `{}`, "caller number", "", "", "", 0},
		{"a messaging service alone cannot call, and nothing is sent", TwilioConfig{MessagingServiceSID: "MG123"}, "",
			201, `{}`, "caller number", "", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prov := startProvider(t, answerJSON(tt.status, tt.answer))
			cfg := tt.cfg
			cfg.AccountSID, cfg.AuthToken, cfg.BaseURL = "AC0123", "tok3n", prov.url
			tw, err := NewTwilio(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tw.CanCall() != (tt.wantCalls == 1) {
				t.Errorf("CanCall() = %v", tw.CanCall())
			}
			c := testCall
			c.Locale = tt.locale
			err = tw.Call(context.Background(), c)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Call = %v, want %q", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), c.To) || strings.Contains(err.Error(), c.Code)) {
				t.Errorf("error %q holds the number or the code", err)
			}
			seen := prov.requests()
			if len(seen) != tt.wantCalls {
				t.Fatalf("%d requests, want %d", len(seen), tt.wantCalls)
			}
			if tt.wantCalls == 0 {
				return
			}
			r := seen[0]
			form := twilioForm(t, r, "Calls.json")
			if form.Get("To") != c.To || form.Get("From") != tt.from || form.Has("Body") || form.Has("MessagingServiceSid") {
				t.Errorf("form %v", form)
			}
			doc := parseTwiML(t, form.Get("Twiml"))
			spelt := 0
			for _, say := range doc.Says {
				if say.Language != tt.lang || say.Voice != tt.voice {
					t.Errorf("Say language %q voice %q, want %q %q", say.Language, say.Voice, tt.lang, tt.voice)
				}
				spelt += strings.Count(say.Text, "1, 2, 3, 4, 5, 6")
			}
			if spelt != 2 {
				t.Errorf("the TwiML spells the code %d times, want 2: %s", spelt, form.Get("Twiml"))
			}
		})
	}
}

func TestConsoleCall(t *testing.T) {
	testConsole(t, []consoleCase{
		{"in development mode it prints the transcript", true,
			[]string{"call to +14155550123", "1, 2, 3, 4, 5, 6", "en-US", testCall.VerificationID}, nil},
		{"outside development mode it prints neither the code nor the full number", false,
			[]string{"call to", testCall.VerificationID, "en-US"}, []string{"1, 2", "+14155550123"}},
	}, func(c *Console) error { return c.Call(context.Background(), testCall) })
}

func TestOutboxKeepsCallsAsVoiceMessages(t *testing.T) {
	o := NewOutbox(10, nil)
	ctx := context.Background()
	if err := o.Send(ctx, testMessage); err != nil {
		t.Fatal(err)
	}
	if err := (Multi{o, NewConsole(&bytes.Buffer{}, false)}).Call(ctx, testCall); err != nil {
		t.Fatal(err)
	}
	got := o.Messages()
	if len(got) != 2 || o.Sent() != 2 {
		t.Fatalf("outbox %+v", got)
	}
	if got[0].Channel != "voice" || got[0].Body != Transcript(testCall) || got[0].To != testCall.To || got[0].VerificationID != testCall.VerificationID {
		t.Errorf("call kept as %+v", got[0])
	}
	if got[1].Channel != "sms" || got[1].Body != testMessage.Body {
		t.Errorf("message kept as %+v", got[1])
	}
}

func TestMultiCallNeedsACaller(t *testing.T) {
	f := &fakes.Sender{}
	if err := (Multi{f}).Call(context.Background(), testCall); err == nil || !strings.Contains(err.Error(), "no sender can place calls") {
		t.Errorf("Call through senders that cannot call = %v", err)
	}
	if f.Attempts() != 0 {
		t.Error("Call sent a message")
	}
}
