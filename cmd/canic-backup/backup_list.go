package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/verify"
)

// defaultBackupsRoot is where backups live unless --root says otherwise
// (0.35.1's CWD-relative "backups").
const defaultBackupsRoot = "backups"

// List status labels beyond verify.LayoutStatus (0.35.1's).
const (
	listStatusOK                 = "ok"
	listStatusInvalidManifest    = "invalid-manifest"
	listStatusInvalidPlan        = "invalid-plan"
	listStatusInvalidPlanJournal = "invalid-plan-journal"
)

// backupEntry is one backup directory found under a root (a row of
// `backup list`, JSON for --json).
type backupEntry struct {
	Dir       string `json:"dir"`
	BackupID  string `json:"backup_id"`
	Fleet     string `json:"fleet"`
	CreatedAt string `json:"created_at"`
	Members   int    `json:"members"`
	Status    string `json:"status"`
	// Complete is true for a valid manifest whose execution journal (if
	// any) has every operation done: a backup prune may delete.
	Complete bool `json:"complete"`
	// LeftStopped are canisters its journal records as stopped.
	LeftStopped []string `json:"left_stopped"`
	// name is the directory's name under the root.
	name string
	// modified is a stored backup's newest object time and hasManifest
	// whether it has a manifest object (zero for a directory).
	modified    time.Time
	hasManifest bool
}

// backupListCommand is `backup list`.
func backupListCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list the backups under a root directory or in a store, newest first",
		UsageText: "canic-backup backup list [--root DIR | --store NAME] [--config FILE] [--env NAME] [--json]",
		Description: "Each directory under DIR holding a manifest or a plan is a backup. STATUS is ok (valid manifest),\n" +
			"complete, running, failed or dry-run (from the execution journal), or invalid-manifest,\n" +
			"invalid-plan, invalid-plan-journal.\n\n" +
			"With a store (--store NAME, else $" + envStore + ", else the selected environment's store key;\n" +
			"--root overrides the last two): a dir store lists its path like --root; an s3 store lists its\n" +
			"backups from their documents in the bucket, DIR being s3://bucket/prefix/NAME (STATUS incomplete:\n" +
			"objects but no manifest or plan yet). The NAME in DIR is what --backup takes.\n\n" +
			"Examples:\n   canic-backup backup list --root backups --json\n   canic-backup backup list --store offsite",
		Flags:        []cli.Flag{rootFlag(), storeFlag(), configFlag(), envFlag(), jsonFlag()},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupList(c, e) },
	}
}

// rootFlag is --root, the directory holding backup directories.
func rootFlag() cli.Flag {
	return &cli.StringFlag{Name: "root", Value: defaultBackupsRoot, Usage: "directory `DIR` holding backup directories"}
}

// backupsRoot is where list and prune work: a root directory (--root, a
// dir store's path, or the default) or a remote store (sc non-nil and
// Remote). --root and --store together are a usage error; --root beats a
// store named by $CANIC_BACKUP_STORE or the environment.
func backupsRoot(c *cli.Context, e env) (string, *storeChoice, error) {
	if c.IsSet("root") {
		if c.IsSet("store") {
			return "", nil, usagef("%s: --root and --store both say where the backups are; give one", commandName(c))
		}
		return c.String("root"), nil, nil
	}
	sc, err := selectStore(c, e, nil, nil)
	if err != nil {
		return "", nil, err
	}
	if sc == nil {
		return c.String("root"), nil, nil
	}
	return sc.Dir(), sc, nil
}

func backupList(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	root, sc, err := backupsRoot(c, e)
	if err != nil {
		return err
	}
	var entries []backupEntry
	if sc != nil && sc.Remote() {
		entries, err = scanStore(c.Context, sc)
	} else {
		entries, err = scanBackups(root)
	}
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, entries)
	}
	rows := make([][]string, 0, len(entries))
	for i, b := range entries {
		rows = append(rows, []string{strconv.Itoa(i + 1), b.Dir, b.BackupID, b.Fleet, displayCreated(b.CreatedAt),
			strconv.Itoa(b.Members), b.Status})
	}
	table := renderTable([]string{"#", "DIR", "BACKUP_ID", "FLEET", "CREATED_AT", "MEMBERS", "STATUS"}, rows)
	_, err = fmt.Fprintln(e.stdout, table)
	return err
}

// scanBackups reads every backup directory under root (0.35.1's list
// logic), sorted newest first. A root that is not a directory has none.
func scanBackups(root string) ([]backupEntry, error) {
	dirents, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return []backupEntry{}, nil
		}
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	out := []backupEntry{}
	for _, d := range dirents {
		dir := filepath.Join(root, d.Name())
		info, err := os.Stat(dir) // follows symlinks, as 0.35.1 did
		if err != nil || !info.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		b, ok, err := classifyBackup(dir, archive.DirDocs(dir))
		if err != nil {
			return nil, err
		}
		if ok {
			b.name = d.Name()
			out = append(out, b)
		}
	}
	sortEntries(out)
	return out, nil
}

// classifyBackup builds the list row of the backup whose documents docs
// reads (dir is its DIR column); ok is false when it holds neither a
// manifest nor a plan. Only has errors fail; an unreadable or invalid
// document is a status.
func classifyBackup(dir string, docs archive.Docs) (backupEntry, bool, error) {
	b := backupEntry{Dir: dir, BackupID: "-", Fleet: "-", CreatedAt: "-", LeftStopped: []string{}}
	hasManifest, err := docs.Has(verify.ManifestFile)
	if err != nil {
		return b, false, err
	}
	hasPlan, err := docs.Has(verify.PlanFile)
	if err != nil {
		return b, false, err
	}
	var j *journal.BackupExecutionJournal
	if hasPlan {
		var p plan.BackupPlan
		if err := archive.DecodeDoc(docs, verify.PlanFile, &p); err == nil {
			b.Fleet = p.Fleet
			hasJournal, err := docs.Has(verify.ExecutionJournalFile)
			if err != nil {
				return b, false, err
			}
			if hasJournal {
				j = &journal.BackupExecutionJournal{}
				err = archive.DecodeDoc(docs, verify.ExecutionJournalFile, j)
				if err == nil {
					_, err = verify.Execution(&p, j)
				}
				if err != nil {
					j = nil
					b.Status = listStatusInvalidPlanJournal
				}
			}
			if !hasManifest {
				b.BackupID, b.Members, b.CreatedAt = p.PlanID, len(p.Targets), runStamp(p.RunID)
			}
		} else if !hasManifest {
			b.Status = listStatusInvalidPlan
			return b, true, nil
		}
	}
	if j != nil {
		b.LeftStopped = runnerLeftStopped(j)
	}
	switch {
	case hasManifest:
		var m manifest.FleetBackupManifest
		if err := archive.DecodeDoc(docs, verify.ManifestFile, &m); err != nil {
			b.BackupID, b.Fleet, b.CreatedAt, b.Members = "-", "-", "-", 0
			b.Status = listStatusInvalidManifest
			return b, true, nil
		}
		b.BackupID, b.CreatedAt, b.Members, b.Status = m.BackupID, m.CreatedAt, len(m.Fleet.Members), listStatusOK
		b.Complete = j == nil || j.Complete()
		if hasPlan && j == nil {
			// A manifest beside a plan whose journal is missing or
			// invalid is not a finished backup.
			b.Complete = false
		}
	case !hasPlan:
		return b, false, nil
	case b.Status != "":
	case j != nil:
		b.Status = string(verify.Status(j, false))
	default:
		b.Status = string(verify.StatusDryRun)
	}
	return b, true, nil
}

// runStamp is 0.35.1's created_at of a plan-only layout: the run id's last
// two "-" fields when they are YYYYMMDD and HHMMSS, else "-".
func runStamp(runID string) string {
	parts := strings.Split(runID, "-")
	if len(parts) < 2 {
		return "-"
	}
	date, clock := parts[len(parts)-2], parts[len(parts)-1]
	if len(date) != 8 || len(clock) != 6 || !allDigits(date) || !allDigits(clock) {
		return "-"
	}
	return date + "-" + clock
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// sortKey orders created_at values by time (0.35.1 compared the strings,
// which put every unix: marker before every run stamp): unix markers and
// run stamps become comparable seconds; "-" sorts last.
func sortKey(created string) int64 {
	if t, ok := createdTime(created); ok {
		return t.Unix()
	}
	return -1 << 62
}

// createdTime parses "unix:<secs>" or "YYYYMMDD-HHMMSS" (UTC).
func createdTime(created string) (time.Time, bool) {
	if rest, ok := strings.CutPrefix(created, "unix:"); ok {
		secs, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(secs, 0).UTC(), true
	}
	t, err := time.Parse("20060102-150405", created)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// displayCreated shows a unix marker as UTC "DD/MM/YYYY HH:MM" (0.35.1),
// anything else verbatim.
func displayCreated(created string) string {
	if strings.HasPrefix(created, "unix:") {
		if t, ok := createdTime(created); ok {
			return t.Format("02/01/2006 15:04")
		}
	}
	return created
}
