package sms

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/webotp/webotp/verifier"
)

// Caller places voice calls that read a verification code aloud: the
// verifier's Caller. A sender that is not one cannot serve the voice
// channel.
type Caller = verifier.Caller

// VoiceCall is one call as handed to a Caller.
type VoiceCall = verifier.Call

// voiceText is what a call says in one language: {app} and {code} are
// replaced, and the first form is used when there is an app name.
type voiceText struct {
	withApp, withoutApp, again string
}

// voiceLanguages are the languages a call speaks, by primary language
// subtag: the <Say> language used when the locale names no region (or one
// not listed in regions), the regions Twilio's voices speak, and the text.
var voiceLanguages = map[string]struct {
	fallback string
	regions  []string
	text     voiceText
}{
	"en": {"en-US", []string{"en-US", "en-GB", "en-AU", "en-CA", "en-IN"},
		voiceText{"Your {app} verification code is {code}.", "Your verification code is {code}.", "Once more, your code is {code}."}},
	"fr": {"fr-FR", []string{"fr-FR", "fr-CA"},
		voiceText{"Votre code de vérification {app} est {code}.", "Votre code de vérification est {code}.", "Je répète, votre code est {code}."}},
	"de": {"de-DE", []string{"de-DE"},
		voiceText{"Ihr Bestätigungscode für {app} lautet {code}.", "Ihr Bestätigungscode lautet {code}.", "Noch einmal, Ihr Code lautet {code}."}},
	"es": {"es-ES", []string{"es-ES", "es-MX", "es-US"},
		voiceText{"Su código de verificación de {app} es {code}.", "Su código de verificación es {code}.", "Repito, su código es {code}."}},
	"pt": {"pt-BR", []string{"pt-BR", "pt-PT"},
		voiceText{"O seu código de verificação {app} é {code}.", "O seu código de verificação é {code}.", "Repetindo, o seu código é {code}."}},
	"it": {"it-IT", []string{"it-IT"},
		voiceText{"Il tuo codice di verifica {app} è {code}.", "Il tuo codice di verifica è {code}.", "Ripeto, il tuo codice è {code}."}},
	"nl": {"nl-NL", []string{"nl-NL"},
		voiceText{"Uw verificatiecode voor {app} is {code}.", "Uw verificatiecode is {code}.", "Nogmaals, uw code is {code}."}},
	"ja": {"ja-JP", []string{"ja-JP"},
		voiceText{"{app}の確認コードは、{code}、です。", "確認コードは、{code}、です。", "もう一度繰り返します。{code}、です。"}},
}

// SayLanguage returns the <Say> language a call in locale speaks: the
// locale's own region when a voice speaks it ("fr-CA", "pt-PT"), else its
// language's usual one ("fr" and "fr-BE" give "fr-FR"), else "en-US".
// Underscores are read as hyphens and case is ignored.
func SayLanguage(locale string) string {
	tags := strings.Split(strings.ToLower(strings.ReplaceAll(locale, "_", "-")), "-")
	lang, ok := voiceLanguages[tags[0]]
	if !ok {
		return "en-US"
	}
	for _, t := range tags[1:] {
		if len(t) != 2 {
			continue // a script or variant subtag
		}
		for _, r := range lang.regions {
			if strings.EqualFold(r[len(r)-2:], t) {
				return r
			}
		}
		break
	}
	return lang.fallback
}

// VoiceScript returns what a call says, in order: the code in a sentence,
// then the code again. The code is spelt digit by digit ("1, 2, 3"), so
// that a voice reads digits rather than a number.
func VoiceScript(c VoiceCall) (language string, sentences []string) {
	language = SayLanguage(c.Locale)
	text := voiceLanguages[language[:2]].text
	spelt := spell(c.Code)
	first := text.withoutApp
	if name := strings.TrimSpace(c.AppName); name != "" {
		first = strings.ReplaceAll(text.withApp, "{app}", name)
	}
	return language, []string{
		strings.ReplaceAll(first, "{code}", spelt),
		strings.ReplaceAll(text.again, "{code}", spelt),
	}
}

// spell separates the characters of code with ", ".
func spell(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Transcript is the call's words on one line each, for the dev inbox.
func Transcript(c VoiceCall) string {
	_, s := VoiceScript(c)
	return strings.Join(s, "\n")
}

// TwiML returns the TwiML document of c's call: each sentence of
// VoiceScript in a <Say> in its language (and voice, when not empty), with
// a pause before the repetition and a shorter one at the start, while the
// callee says hello.
func TwiML(c VoiceCall, voice string) (string, error) {
	if err := checkVoiceCode(c.Code); err != nil {
		return "", err
	}
	lang, sentences := VoiceScript(c)
	attrs := ` language="` + lang + `"`
	if voice != "" {
		var v strings.Builder
		xmlEscape(&v, voice)
		attrs += ` voice="` + v.String() + `"`
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/>`)
	for i, s := range sentences {
		if i > 0 {
			b.WriteString(`<Pause length="2"/>`)
		}
		b.WriteString(`<Say` + attrs + `>`)
		xmlEscape(&b, s)
		b.WriteString(`</Say>`)
	}
	b.WriteString(`</Response>`)
	return b.String(), nil
}

// checkVoiceCode refuses a code a call could not read out.
func checkVoiceCode(code string) error {
	if code == "" || len(code) > 64 || !utf8.ValidString(code) {
		return errors.New("voice: the code is empty, too long or not UTF-8")
	}
	return nil
}

// xmlEscape writes s as XML character data, dropping the control
// characters XML cannot hold.
func xmlEscape(b *strings.Builder, s string) {
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF:
		default:
			b.WriteRune(r)
		}
	}
}
