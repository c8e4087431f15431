// Package smtptest runs an in-process SMTP server for tests
// (github.com/emersion/go-smtp) and reads the messages it received.
package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Server is a running SMTP server that keeps every message it accepts.
type Server struct {
	Addr string
	srv  *smtp.Server
	mu   sync.Mutex
	msgs []Message
}

// Message is one accepted message: its envelope and its raw data.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Start runs a server on a free loopback port until the test ends.
func Start(t testing.TB) *Server { return StartAt(t, "127.0.0.1:0") }

// StartAt runs a server on addr until the test ends.
func StartAt(t testing.TB, addr string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String()}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Messages returns what the server accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }

type session struct {
	srv *Server
	msg Message
}

func (se *session) Reset()        { se.msg = Message{} }
func (se *session) Logout() error { return nil }

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.msg.From = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.msg.To = append(se.msg.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.msg.Data = b
	se.srv.mu.Lock()
	se.srv.msgs = append(se.srv.msgs, se.msg)
	se.srv.mu.Unlock()
	return nil
}

// Parsed is a message taken apart: headers, both bodies, attachments.
type Parsed struct {
	Header      mail.Header
	Subject     string
	Text        string
	HTML        string
	Attachments map[string][]byte // by file name
	Types       map[string]string // attachment content types, by file name
}

// Parse reads a MIME message with plain-text and HTML alternatives and
// attachments, as go-mail writes them.
func Parse(raw []byte) (Parsed, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Header: m.Header, Attachments: map[string][]byte{}, Types: map[string]string{}}
	p.Subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	err = p.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Header.Get("Content-Disposition"), m.Body)
	return p, err
}

func (p *Parsed) walk(contentType, encoding, disposition string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part); err != nil {
				return err
			}
		}
	}
	data, err := decode(encoding, body)
	if err != nil {
		return err
	}
	if _, dp, err := mime.ParseMediaType(disposition); err == nil && dp["filename"] != "" {
		p.Attachments[dp["filename"]] = data
		p.Types[dp["filename"]] = mt
		return nil
	}
	switch mt {
	case "text/plain":
		p.Text = string(data)
	case "text/html":
		p.HTML = string(data)
	}
	return nil
}

// decode undoes a part's transfer encoding.
func decode(encoding string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "base64":
		return io.ReadAll(base64.NewDecoder(base64.StdEncoding, r)) // it skips line breaks itself
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(r))
	}
	return io.ReadAll(r)
}
