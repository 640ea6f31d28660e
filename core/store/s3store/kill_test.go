package s3store_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// A process SIGKILLed in the middle of a multipart upload leaves its
// finished parts on the server; the next Put uploads only the rest.
func TestResumeAfterSIGKILL(t *testing.T) {
	prefix := freshPrefix(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), envHelper+"=upload", envEndpoint+"="+server.Endpoint, envPrefix+"="+prefix,
		"AWS_ACCESS_KEY_ID="+server.AccessKey, "AWS_SECRET_ACCESS_KEY="+server.SecretKey)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	c, err := server.Client()
	require.NoError(t, err)
	ctx := context.Background()
	staging := prefix + ".canic-incoming/killed.bin"
	finished := func() int {
		for u := range c.ListIncompleteUploads(ctx, bucket, staging, false) {
			if u.Err != nil || u.Key != staging {
				continue
			}
			res, err := minio.Core{Client: c}.ListObjectParts(ctx, bucket, staging, u.UploadID, 0, 1000)
			if err == nil {
				return len(res.ObjectParts)
			}
		}
		return 0
	}
	deadline := time.Now().Add(60 * time.Second)
	for finished() < 3 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait() // out is safe to read only after Wait
			t.Fatalf("helper never finished 3 parts: %s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	assert.False(t, strings.Contains(out.String(), "ERROR"), out.String())
	require.Equal(t, 3, finished())

	tr := newCounting()
	s, err := s3store.Open(ctx, "test", settings(prefix), s3store.Options{Credentials: creds(), Transport: tr, Concurrency: 1})
	require.NoError(t, err)
	_, err = s.Stat(ctx, "killed.bin")
	require.ErrorIs(t, err, store.ErrNotFound)
	data := resumeData()
	_, err = s.Put(ctx, "killed.bin", bytes.NewReader(data), store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	assert.Equal(t, int64(3), tr.parts.Load(), "parts finished by the killed process were uploaded again")
	got, err := store.Verify(ctx, s, "killed.bin")
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), got.Size)
}

// The kill point store.part-uploaded fires after each finished part: a
// helper told to die at the second one leaves exactly two parts, and the
// next Put sends only the other four.
func TestKillPointPartUploaded(t *testing.T) {
	prefix := freshPrefix(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), envHelper+"=upload", envEndpoint+"="+server.Endpoint, envPrefix+"="+prefix,
		"AWS_ACCESS_KEY_ID="+server.AccessKey, "AWS_SECRET_ACCESS_KEY="+server.SecretKey,
		killpoint.EnvKill+"="+killpoint.StorePartUploaded+":2")
	done := make(chan error, 1)
	require.NoError(t, cmd.Start())
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, out.String())
		ws, ok := ee.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, ws.Signaled(), "helper was not killed: %s", out.String())
		assert.Equal(t, syscall.SIGKILL, ws.Signal())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("kill point never fired: %s", out.String())
	}

	ctx := context.Background()
	tr := newCounting()
	s, err := s3store.Open(ctx, "test", settings(prefix), s3store.Options{Credentials: creds(), Transport: tr, Concurrency: 1})
	require.NoError(t, err)
	data := resumeData()
	_, err = s.Put(ctx, "killed.bin", bytes.NewReader(data), store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	assert.Equal(t, int64(4), tr.parts.Load(), "6 parts, 2 finished before the kill")
}
