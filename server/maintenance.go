package server

import (
	"context"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/herken/herken/internal/maintenance"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type maintenanceServer struct {
	herkenv1.UnimplementedMaintenanceServiceServer
	*Server
}

func (s maintenanceServer) GetMaintenanceStatus(ctx context.Context, _ *herkenv1.GetMaintenanceStatusRequest) (*herkenv1.GetMaintenanceStatusResponse, error) {
	if s.cfg.Maintenance == nil {
		return &herkenv1.GetMaintenanceStatusResponse{}, nil
	}
	p, r, a := s.cfg.Maintenance()
	return &herkenv1.GetMaintenanceStatusResponse{PromiseSweeper: sweeperToPB(p), RetentionSweeper: sweeperToPB(r), AuditSweeper: sweeperToPB(a)}, nil
}

func sweeperToPB(st maintenance.Status) *herkenv1.SweeperStatus {
	return &herkenv1.SweeperStatus{
		Interval:       durationpb.New(st.Interval),
		Threshold:      durationpb.New(st.Threshold),
		LastRunTime:    timeToPB(st.LastRun),
		LastRunCount:   st.LastCount,
		LastRunLimited: st.LastLimited,
		TotalCount:     st.Total,
		FailedRuns:     st.FailedRuns,
	}
}
