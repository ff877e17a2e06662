package main

import (
	"context"
	"fmt"
	"io"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/mail"
	"github.com/webotp/webotp/verifier/sms"
)

// newCaller returns what places voice calls, or nil when nothing can:
// sender itself when it is a Caller (a Twilio with a number to call from,
// the console), in development mode through the outbox and the console as
// well.
func newCaller(c *serveConfig, sender verifier.Sender, stdout io.Writer, outbox *sms.Outbox) verifier.Caller {
	var caller verifier.Caller
	switch s := sender.(type) {
	case *sms.Twilio:
		if s.CanCall() {
			caller = s
		}
	case *sms.Console:
		caller = s
	}
	if !c.Dev {
		return caller
	}
	m := sms.Multi{outbox}
	if c.Sender != "console" {
		m = append(m, sms.NewConsole(stdout, true))
	}
	if caller != nil {
		m = append(m, sender)
	}
	return m
}

// newMailer returns the SMTP mailer of the --smtp-* flags, or nil without
// --smtp-host. In development mode every email is also kept, composed, in
// the outbox, so that email works without an SMTP server.
func newMailer(c *serveConfig, outbox *sms.Outbox) (verifier.Mailer, error) {
	var smtp verifier.Mailer
	if c.SMTPHost != "" {
		if c.SMTPFrom == "" {
			return nil, usagef("--smtp-host needs --smtp-from")
		}
		s, err := mail.New(mail.Options{
			Host: c.SMTPHost, Port: c.SMTPPort, ImplicitTLS: c.SMTPImplicitTLS,
			StartTLS: mail.StartTLS(c.SMTPStartTLS), Auth: mail.Auth(c.SMTPAuth),
			Username: c.SMTPUsername, Password: c.SMTPPassword, From: c.SMTPFrom, Timeout: c.SMTPTimeout,
		})
		if err != nil {
			return nil, usageError{fmt.Errorf("%w (--smtp-*)", err)}
		}
		smtp = s
	} else if c.SMTPFrom != "" || c.SMTPUsername != "" || c.SMTPPassword != "" {
		return nil, usagef("--smtp-from, --smtp-username and --smtp-password need --smtp-host")
	}
	if !c.Dev {
		return smtp, nil
	}
	return outboxMailer{outbox: outbox, next: smtp}, nil
}

// outboxMailer keeps each email in the development outbox, then hands it
// to next, if any.
type outboxMailer struct {
	outbox *sms.Outbox
	next   verifier.Mailer
}

func (m outboxMailer) Mail(ctx context.Context, e verifier.Email) error {
	content, err := mail.Compose(mail.Message{To: e.To, AppName: e.AppName, Code: e.Code, Link: e.Link, TTL: e.TTL})
	if err != nil {
		return err
	}
	m.outbox.KeepEmail(e, content.Subject, content.Text, content.HTML)
	if m.next == nil {
		return nil
	}
	return m.next.Mail(ctx, e)
}
