package logging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
)

// demoTime is the time of the first daemon line of the demo.
var demoTime = time.Date(2025, 2, 21, 0, 38, 32, 0, time.Local)

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return lines(string(b))
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// setupDaemonTest starts daemon logging into a buffer standing in for
// standard error, and stops file and syslog output at the end.
func setupDaemonTest(t *testing.T) *bytes.Buffer {
	t.Helper()
	var stderr bytes.Buffer
	startDaemon(&stderr)
	t.Cleanup(out.reset)
	return &stderr
}

func TestDaemonLineFormat(t *testing.T) {
	stderr := setupDaemonTest(t)
	started := stderr.String()
	if !regexp.MustCompile(`^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} INFO >> \[MainThread\] Alpenhorn start\.\n$`).MatchString(started) {
		t.Errorf("start line %q", started)
	}
	stderr.Reset()

	at := func(e *logrus.Entry) *logrus.Entry { return e.WithTime(demoTime) }
	at(Named(LoggerDaemonUpdate)).Info(`Node "demo_storage1" now available.`)
	at(WithThread("Worker#1")).Info(`Beginning task Init Node "demo_storage1"`)
	at(Named(LoggerDaemonUpdate)).Warn("No active nodes on host (alpenhost1)!")
	at(WithThread("Worker#2")).Debug("debug")
	at(Named(LoggerSchedulerPool)).WithError(errors.New("boom: bad things")).Error("Aborting due to uncaught exception in task")
	at(Named(LoggerDaemonEntry)).Log(logrus.FatalLevel, "critical")
	ctx := ContextWithThread(context.Background(), "Worker#3")
	at(FromContext(ctx, LoggerIODefault)).Infof("Pull of %s complete.", "2025/02/21/meta.txt")
	at(FromContext(context.Background(), LoggerIODefault)).Info("main again")
	Logf(LoggerConfig)("INFO", "Loading config file %s", "/etc/alpenhorn/alpenhorn.conf")

	got := lines(stderr.String())
	// Logf stamps the current time; check it apart.
	last := got[len(got)-1]
	got = got[:len(got)-1]
	equalLines(t, "stderr", got, []string{
		`Feb 21 00:38:32 INFO >> [MainThread] Node "demo_storage1" now available.`,
		`Feb 21 00:38:32 INFO >> [Worker#1] Beginning task Init Node "demo_storage1"`,
		`Feb 21 00:38:32 WARNING >> [MainThread] No active nodes on host (alpenhost1)!`,
		`Feb 21 00:38:32 DEBUG >> [Worker#2] debug`,
		`Feb 21 00:38:32 ERROR >> [MainThread] Aborting due to uncaught exception in task`,
		`boom: bad things`,
		`Feb 21 00:38:32 CRITICAL >> [MainThread] critical`,
		`Feb 21 00:38:32 INFO >> [Worker#3] Pull of 2025/02/21/meta.txt complete.`,
		`Feb 21 00:38:32 INFO >> [MainThread] main again`,
	})
	if !strings.HasSuffix(last, " INFO >> [MainThread] Loading config file /etc/alpenhorn/alpenhorn.conf") {
		t.Errorf("Logf line %q", last)
	}
}

func TestLevelFiltering(t *testing.T) {
	stderr := setupDaemonTest(t)
	closeLogs, err := SetupDaemon(config.Logging{
		Level: "WARNING",
		ModuleLevels: map[string]string{
			"alpenhorn.db": "ERROR",
			"alpenhorn.io": "DEBUG",
			"peewee":       "INFO",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	stderr.Reset()

	tests := []struct {
		logger string
		level  logrus.Level
		shown  bool
	}{
		{"", logrus.InfoLevel, false},
		{"", logrus.WarnLevel, true},
		{LoggerDaemonUpdate, logrus.InfoLevel, false},
		{LoggerDaemonUpdate, logrus.ErrorLevel, true},
		{LoggerDB, logrus.WarnLevel, false},
		{LoggerDB + ".archive", logrus.WarnLevel, false},
		{LoggerDB + ".archive", logrus.ErrorLevel, true},
		{LoggerIODefault, logrus.DebugLevel, true},
		{LoggerIODefaultTasks, logrus.DebugLevel, true},
		{"alpenhorn.iox", logrus.InfoLevel, false},
		{LoggerSQL, logrus.DebugLevel, false},
		{LoggerSQL, logrus.InfoLevel, true},
		{LoggerSchedulerTask, logrus.TraceLevel, false},
	}
	for i, tt := range tests {
		stderr.Reset()
		Named(tt.logger).Log(tt.level, "message "+strconv.Itoa(i))
		if shown := stderr.Len() > 0; shown != tt.shown {
			t.Errorf("%q at %s: shown=%v, want %v", tt.logger, tt.level, shown, tt.shown)
		}
	}
}

func TestStartupReplayIntoFile(t *testing.T) {
	stderr := setupDaemonTest(t)
	Named(LoggerConfig).Info("Loading config file /etc/alpenhorn/alpenhorn.conf")
	Named(LoggerConfig).Debug("early debug")

	path := filepath.Join(t.TempDir(), "alpenhornd.log")
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", File: &config.LogFile{Name: path}, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	Named(LoggerDaemonUpdate).Debug("late debug")
	Named(LoggerDaemonUpdate).Info("after set-up")
	if err := closeLogs(); err != nil {
		t.Fatal(err)
	}
	Named(LoggerDaemonUpdate).Info("after close")

	strip := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l[len("Jan 02 15:04:05 "):]
		}
		return out
	}
	// The start-up records replayed include DEBUG ones: they were logged
	// while everything was.
	equalLines(t, "file", strip(readLines(t, path)), []string{
		"INFO >> [MainThread] Alpenhorn start.",
		"INFO >> [MainThread] Loading config file /etc/alpenhorn/alpenhorn.conf",
		"DEBUG >> [MainThread] early debug",
		"INFO >> [MainThread] Logging to " + path,
		"INFO >> [MainThread] after set-up",
	})
	equalLines(t, "stderr", strip(lines(stderr.String())), []string{
		"INFO >> [MainThread] Alpenhorn start.",
		"INFO >> [MainThread] Loading config file /etc/alpenhorn/alpenhorn.conf",
		"DEBUG >> [MainThread] early debug",
		"INFO >> [MainThread] Logging to " + path,
		"INFO >> [MainThread] after set-up",
		"INFO >> [MainThread] after close",
	})
}

func TestStartupBufferIsBounded(t *testing.T) {
	setupDaemonTest(t)
	for i := 0; i < startupCapacity+5; i++ {
		Named(LoggerDaemonEntry).Debug("x")
	}
	path := filepath.Join(t.TempDir(), "a.log")
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", File: &config.LogFile{Name: path}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	// "Alpenhorn start." plus the first records up to capacity; the
	// "Logging to" line came too late to be kept.
	got := readLines(t, path)
	if len(got) != startupCapacity || !strings.HasSuffix(got[0], "Alpenhorn start.") {
		t.Errorf("%d lines replayed, first %q", len(got), got[0])
	}
}

func TestPlainFileFollowsMovedFile(t *testing.T) {
	setupDaemonTest(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", File: &config.LogFile{Name: path}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	Named(LoggerDaemonUpdate).Info("one")
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	Named(LoggerDaemonUpdate).Info("two")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("plain file logging recreated %s", path)
	}
	if got := readLines(t, path+".old"); !strings.HasSuffix(got[len(got)-1], "] two") {
		t.Errorf("moved file ends with %q", got[len(got)-1])
	}
}

func TestWatchedFileReopens(t *testing.T) {
	stderr := setupDaemonTest(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", File: &config.LogFile{Name: path, Watch: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	if !strings.Contains(stderr.String(), "INFO >> [MainThread] Logging to [watching] "+path+"\n") {
		t.Errorf("stderr %q", stderr.String())
	}
	Named(LoggerDaemonUpdate).Info("one")

	// Moved away, as logrotate does.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	Named(LoggerDaemonUpdate).Info("two")
	// Deleted.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	Named(LoggerDaemonUpdate).Info("three")
	// Replaced by another file.
	if err := os.Rename(path, path+".2"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("new file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Named(LoggerDaemonUpdate).Info("four")

	old := readLines(t, path+".1")
	if !strings.HasSuffix(old[len(old)-1], "] one") {
		t.Errorf("rotated file ends with %q", old[len(old)-1])
	}
	if got := readLines(t, path+".2"); len(got) != 1 || !strings.HasSuffix(got[0], "] three") {
		t.Errorf("second file %q", got)
	}
	if got := readLines(t, path); len(got) != 2 || got[0] != "new file" || !strings.HasSuffix(got[1], "] four") {
		t.Errorf("current file %q", got)
	}
}

func TestRotatingFile(t *testing.T) {
	stderr := &bytes.Buffer{}
	// No start-up buffer: every line in the files is one of ours, of known
	// length.
	setupCLI(stderr, 3)
	t.Cleanup(out.reset)
	path := filepath.Join(t.TempDir(), "a.log")
	line := func(i int) string {
		return "Feb 21 00:38:32 INFO >> [MainThread] line " + strconv.Itoa(i)
	}
	n := int64(len(line(1)) + 1)
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", File: &config.LogFile{
		Name: path, Rotate: true, BackupCount: 2, MaxBytes: 3 * n,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	if !strings.HasSuffix(stderr.String(), "INFO >> [MainThread] Logging to [rotating] "+path+"\n") {
		t.Errorf("stderr %q", stderr.String())
	}
	// Two lines fit below 3n; the third would reach it and rotates.
	for i := 1; i <= 7; i++ {
		Named(LoggerDaemonUpdate).WithTime(demoTime).Infof("line %d", i)
	}
	equalLines(t, "a.log.2", readLines(t, path+".2"), []string{line(3), line(4)})
	equalLines(t, "a.log.1", readLines(t, path+".1"), []string{line(5), line(6)})
	equalLines(t, "a.log", readLines(t, path), []string{line(7)})
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("more backups than backup_count: %v", err)
	}
}

func TestOversizedRecordIsWritten(t *testing.T) {
	setupCLI(&bytes.Buffer{}, 3)
	t.Cleanup(out.reset)
	path := filepath.Join(t.TempDir(), "a.log")
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", File: &config.LogFile{
		Name: path, Rotate: true, BackupCount: 1, MaxBytes: 10,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	Named(LoggerDaemonUpdate).Info("first, longer than max_bytes")
	Named(LoggerDaemonUpdate).Info("second")
	if got := readLines(t, path); len(got) != 1 || !strings.HasSuffix(got[0], "] second") {
		t.Errorf("a.log %q", got)
	}
	if got := readLines(t, path+".1"); len(got) != 1 || !strings.HasSuffix(got[0], "] first, longer than max_bytes") {
		t.Errorf("a.log.1 %q", got)
	}
}

func TestSyslogUnixSocket(t *testing.T) {
	setupDaemonTest(t)
	sock := filepath.Join(t.TempDir(), "log")
	server, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	cfg := config.Syslog{Address: sock, Port: 0, Facility: "local3", FacilityCode: 19}
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", Syslog: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	Named(LoggerDaemonUpdate).WithTime(demoTime).Warn("No active nodes on host (alpenhost1)!")
	Named(LoggerDaemonUpdate).WithTime(demoTime).Debug("filtered")
	Named(LoggerDaemonUpdate).WithTime(demoTime).Error("err")

	read := func() string {
		t.Helper()
		buf := make([]byte, 4096)
		// A deadline so a missing datagram fails the test instead of
		// hanging it.
		server.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := server.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	stamp := regexp.MustCompile(`^<158>[A-Z][a-z]{2} [0-9]{2} [0-9:]{8} INFO >> \[MainThread\] `)
	for _, want := range []string{"Alpenhorn start.\x00", "Logging to syslog socket " + sock + " as facility local3\x00"} {
		got := read()
		if !stamp.MatchString(got) || !strings.HasSuffix(got, "] "+want) {
			t.Errorf("datagram %q, want ...%q", got, want)
		}
	}
	if got := read(); got != "<156>Feb 21 00:38:32 WARNING >> [MainThread] No active nodes on host (alpenhost1)!\x00" {
		t.Errorf("datagram %q", got)
	}
	if got := read(); got != "<155>Feb 21 00:38:32 ERROR >> [MainThread] err\x00" {
		t.Errorf("datagram %q", got)
	}

	// A restarted syslog daemon: the socket is recreated at the same path.
	server.Close()
	os.Remove(sock)
	server, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	Named(LoggerDaemonUpdate).WithTime(demoTime).Info("after restart")
	if got := read(); got != "<158>Feb 21 00:38:32 INFO >> [MainThread] after restart\x00" {
		t.Errorf("datagram %q", got)
	}
}

func TestSyslogUDP(t *testing.T) {
	setupDaemonTest(t)
	server, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	port := server.LocalAddr().(*net.UDPAddr).Port
	cfg := config.Syslog{Address: "127.0.0.1", Port: port, Facility: "user", FacilityCode: 1}
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", Syslog: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	Named(LoggerDaemonUpdate).WithTime(demoTime).Info("hello")

	var got []string
	buf := make([]byte, 4096)
	for len(got) < 3 {
		server.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, _, err := server.ReadFromUDP(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	p := strconv.Itoa(port)
	if !strings.HasSuffix(got[1], "INFO >> [MainThread] Logging to syslog at ('127.0.0.1', "+p+"):"+p+" via UDP as facility user\x00") {
		t.Errorf("start message %q", got[1])
	}
	if got[2] != "<14>Feb 21 00:38:32 INFO >> [MainThread] hello\x00" {
		t.Errorf("datagram %q", got[2])
	}
}

func TestSyslogTCP(t *testing.T) {
	setupDaemonTest(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := config.Syslog{Address: "127.0.0.1", Port: port, Facility: "daemon", FacilityCode: 3, UseTCP: true}
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", Syslog: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	Named(LoggerDaemonUpdate).WithTime(demoTime).Info("over tcp")
	if err := closeLogs(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var all bytes.Buffer
	if _, err := all.ReadFrom(conn); err != nil {
		t.Fatal(err)
	}
	msgs := strings.Split(strings.TrimSuffix(all.String(), "\x00"), "\x00")
	p := strconv.Itoa(port)
	if len(msgs) != 3 ||
		!strings.HasSuffix(msgs[1], "Logging to syslog at ('127.0.0.1', "+p+"):"+p+" via TCP as facility daemon") ||
		msgs[2] != "<30>Feb 21 00:38:32 INFO >> [MainThread] over tcp" {
		t.Errorf("stream %q", msgs)
	}
}

func TestSetupErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  config.Logging
		want string
	}{
		{"no syslog socket", config.Logging{Level: "INFO", Syslog: &config.Syslog{Address: filepath.Join(dir, "none"), FacilityCode: 1}},
			"syslog: dial unixgram " + filepath.Join(dir, "none") + ": connect: no such file or directory"},
		{"log directory missing", config.Logging{Level: "INFO", File: &config.LogFile{Name: filepath.Join(dir, "no", "a.log")}},
			"log file: open " + filepath.Join(dir, "no", "a.log") + ": no such file or directory"},
		{"bad level", config.Logging{Level: "LOUD"}, "logging.level: Log level LOUD is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setupDaemonTest(t)
			_, err := SetupDaemon(tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %s", err, tt.want)
			}
		})
	}
}

func TestCLI(t *testing.T) {
	levels := []logrus.Level{logrus.DebugLevel, logrus.InfoLevel, logrus.WarnLevel, logrus.ErrorLevel, logrus.FatalLevel}
	tests := []struct {
		verbosity int
		want      []string
	}{
		{1, []string{"ERROR >> m", "CRITICAL >> m"}},
		{2, []string{"WARNING >> m", "ERROR >> m", "CRITICAL >> m"}},
		{3, []string{"WARNING >> m", "ERROR >> m", "CRITICAL >> m"}},
		{4, []string{"INFO >> m", "WARNING >> m", "ERROR >> m", "CRITICAL >> m"}},
		{5, []string{"DEBUG >> m", "INFO >> m", "WARNING >> m", "ERROR >> m", "CRITICAL >> m"}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.verbosity), func(t *testing.T) {
			var stderr bytes.Buffer
			setupCLI(&stderr, tt.verbosity)
			for _, l := range levels {
				WithThread("Worker#1").Log(l, "m")
			}
			equalLines(t, "stderr", lines(stderr.String()), tt.want)
		})
	}
	var stderr bytes.Buffer
	setupCLI(&stderr, 3)
	Named(LoggerCLI).Warn("stdin has been redirected without --force.  Automatically enabling --check mode.")
	if stderr.String() != "WARNING >> stdin has been redirected without --force.  Automatically enabling --check mode.\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}

// With a log file and logging.stderr off, standard error carries what
// was logged before the file was open, records the file fails to take,
// and the daemon's fatal errors; the file has everything, fatal errors
// included.
func TestFileOnly(t *testing.T) {
	stderr := setupDaemonTest(t)
	path := filepath.Join(t.TempDir(), "alpenhornd.log")
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO", File: &config.LogFile{Name: path}})
	if err != nil {
		t.Fatal(err)
	}
	Named(LoggerDaemonUpdate).Info("in the file only")
	fmt.Fprintf(FatalErrors(stderr), "Error: Unable to connect to the database: refused\nSee --help-config for more details.\n")

	// A file that can no longer be written: the record falls back to
	// standard error.
	out.mu.Lock()
	out.sinks[0].(*fileSink).f.Close()
	out.mu.Unlock()
	Named(LoggerDaemonUpdate).Error("the file is closed")
	closeLogs()
	Named(LoggerDaemonUpdate).Info("after close")

	strip := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			if len(l) > 16 && l[3] == ' ' && l[6] == ' ' {
				l = l[len("Jan 02 15:04:05 "):]
			}
			out[i] = l
		}
		return out
	}
	equalLines(t, "file", strip(readLines(t, path)), []string{
		"INFO >> [MainThread] Alpenhorn start.",
		"INFO >> [MainThread] Logging to " + path,
		"INFO >> [MainThread] in the file only",
		"CRITICAL >> [MainThread] Unable to connect to the database: refused",
		"See --help-config for more details.",
	})
	equalLines(t, "stderr", strip(lines(stderr.String())), []string{
		"INFO >> [MainThread] Alpenhorn start.",
		"INFO >> [MainThread] Logging to " + path,
		"Error: Unable to connect to the database: refused",
		"See --help-config for more details.",
		"ERROR >> [MainThread] the file is closed",
		"INFO >> [MainThread] after close",
	})
}

// Without a file or syslog, logging.stderr off cannot silence the daemon.
func TestStderrOffNeedsAnotherOutput(t *testing.T) {
	stderr := setupDaemonTest(t)
	closeLogs, err := SetupDaemon(config.Logging{Level: "INFO"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLogs()
	Named(LoggerDaemonUpdate).Info("still here")
	if !strings.Contains(stderr.String(), "still here") {
		t.Errorf("stderr lost a record with no other output: %q", stderr.String())
	}
}
