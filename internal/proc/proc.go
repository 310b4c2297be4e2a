// Package proc starts the processes perfgate measures and builds with, so
// that none outlives its context: each runs in a process group of its own,
// and cancelling the context ends the whole group (SIGTERM, then SIGKILL
// after a grace period), grandchildren such as the compilers `go` starts
// included. Go runs the go command and says in one line why it failed.
package proc

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// Grace is how long a cancelled process group has between SIGTERM and
// SIGKILL.
const Grace = 3 * time.Second

// Command returns an exec.Cmd for name and args that runs in its own
// process group and whose whole group is ended when ctx is done.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		pid := cmd.Process.Pid
		time.AfterFunc(Grace, func() { syscall.Kill(-pid, syscall.SIGKILL) })
		return syscall.Kill(-pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = Grace + time.Second
	return cmd
}

// Run runs cmd and then kills what is left of its process group, so that
// a grandchild that ignored its parent's exit does not linger.
func Run(cmd *exec.Cmd) error {
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH when the group is gone: fine
	}
	return err
}
