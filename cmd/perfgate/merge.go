package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// mergeCmd is perfgate merge: being written.
func mergeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "merge DIR...",
		Short: "Join the run directories of the shards of one run into one verdict",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("merge: not built yet")
		},
	}
}
