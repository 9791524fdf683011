package logging

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
)

// syslogDialTimeout bounds connecting and writing to a syslog server, so a
// dead server cannot hang start-up or a log call for long.
const syslogDialTimeout = 10 * time.Second

// syslogSink sends each line as `<PRI>` + line + NUL: the formatted line
// (with its own timestamp) is the whole message, without an RFC 3164
// header, as alpenhorn's syslog output always was.
type syslogSink struct {
	facility int
	network  string // "unixgram", "udp" or "tcp"
	address  string

	conn  net.Conn     // unixgram, tcp
	udp   *net.UDPConn // udp: unconnected, so an absent server causes no errors
	raddr *net.UDPAddr
}

func openSyslog(cfg config.Syslog) (*syslogSink, error) {
	s := &syslogSink{facility: cfg.FacilityCode}
	switch {
	case cfg.Port == 0:
		s.network, s.address = "unixgram", cfg.Address
	case cfg.UseTCP:
		s.network, s.address = "tcp", net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port))
	default:
		s.network, s.address = "udp", net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port))
	}
	if err := s.connect(); err != nil {
		return nil, err
	}
	return s, nil
}

// syslogStartMessage is the INFO line announcing syslog output. The network
// form prints the address as a (host, port) pair followed by the port
// again: that is how the line has always read.
func syslogStartMessage(cfg config.Syslog) string {
	if cfg.Port == 0 {
		return fmt.Sprintf("Logging to syslog socket %s as facility %s", cfg.Address, cfg.Facility)
	}
	proto := "UDP"
	if cfg.UseTCP {
		proto = "TCP"
	}
	return fmt.Sprintf("Logging to syslog at ('%s', %d):%d via %s as facility %s",
		cfg.Address, cfg.Port, cfg.Port, proto, cfg.Facility)
}

func (s *syslogSink) connect() error {
	if s.network == "udp" {
		raddr, err := net.ResolveUDPAddr("udp", s.address)
		if err != nil {
			return fmt.Errorf("syslog: %w", err)
		}
		conn, err := net.ListenUDP("udp", nil)
		if err != nil {
			return fmt.Errorf("syslog: %w", err)
		}
		s.udp, s.raddr = conn, raddr
		return nil
	}
	conn, err := net.DialTimeout(s.network, s.address, syslogDialTimeout)
	if err != nil {
		return fmt.Errorf("syslog: %w", err)
	}
	s.conn = conn
	return nil
}

func severity(l logrus.Level) int {
	switch l {
	case logrus.TraceLevel, logrus.DebugLevel:
		return 7
	case logrus.InfoLevel:
		return 6
	case logrus.WarnLevel:
		return 4
	case logrus.ErrorLevel:
		return 3
	}
	return 2
}

func (s *syslogSink) emit(level logrus.Level, line string) error {
	msg := []byte("<" + strconv.Itoa(s.facility*8+severity(level)) + ">" + line + "\x00")
	if s.udp != nil {
		if _, err := s.udp.WriteToUDP(msg, s.raddr); err != nil {
			return fmt.Errorf("syslog: %w", err)
		}
		return nil
	}
	if s.conn != nil {
		if s.write(msg) == nil {
			return nil
		}
		s.conn.Close()
		s.conn = nil
	}
	// A restarted syslog daemon leaves the old socket dead: reconnect and
	// retry once.
	if err := s.connect(); err != nil {
		return err
	}
	if err := s.write(msg); err != nil {
		return fmt.Errorf("syslog: %w", err)
	}
	return nil
}

// write sends msg on the connection; a stalled server cannot block the
// daemon's logging for longer than syslogDialTimeout.
func (s *syslogSink) write(msg []byte) error {
	if err := s.conn.SetWriteDeadline(time.Now().Add(syslogDialTimeout)); err != nil {
		return err
	}
	_, err := s.conn.Write(msg)
	return err
}

func (s *syslogSink) Close() error {
	if s.udp != nil {
		return s.udp.Close()
	}
	if s.conn != nil {
		return s.conn.Close()
	}
	return nil
}
