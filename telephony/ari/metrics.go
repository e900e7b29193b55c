package ari

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/calmline/calmline/telephony/rtp"
)

type registerer = prometheus.Registerer

type metrics struct {
	calls      prometheus.Counter
	active     prometheus.Gauge
	reconnects prometheus.Counter
	events     *prometheus.CounterVec
	badEvents  prometheus.Counter
	transfers  *prometheus.CounterVec
	listenIns  *prometheus.CounterVec
	packets    *prometheus.CounterVec
}

// rtp adds one finished call's media counters.
func (m *metrics) rtp(st rtp.Stats) {
	for _, kv := range []struct {
		k string
		v uint64
	}{{"received", st.Received}, {"played", st.Played}, {"concealed", st.Concealed}, {"late", st.Late},
		{"duplicate", st.Duplicate}, {"overflow", st.Overflow}, {"resync", st.Resyncs}, {"wrong_peer", st.WrongPeer},
		{"malformed", st.Malformed}, {"sent", st.Sent}, {"send_error", st.SendErrors}} {
		m.packets.WithLabelValues(kv.k).Add(float64(kv.v))
	}
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		calls:      prometheus.NewCounter(prometheus.CounterOpts{Name: "calmline_ari_calls_total", Help: "Calls that entered the Stasis app."}),
		active:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "calmline_ari_active_calls", Help: "Calls in progress over ARI."}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "calmline_ari_reconnects_total", Help: "Times the ARI events WebSocket was re-established."}),
		events:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calmline_ari_events_total", Help: "ARI events received, by type."}, []string{"type"}),
		badEvents:  prometheus.NewCounter(prometheus.CounterOpts{Name: "calmline_ari_bad_events_total", Help: "ARI events that could not be decoded."}),
		transfers:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calmline_ari_transfers_total", Help: "Handoffs to human experts, by result."}, []string{"result"}),
		listenIns:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calmline_ari_listen_ins_total", Help: "Supervisor listen-ins, by mode."}, []string{"mode"}),
		packets:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calmline_rtp_packets_total", Help: "ExternalMedia RTP packets and frames of finished calls, by outcome."}, []string{"result"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.calls, m.active, m.reconnects, m.events, m.badEvents, m.transfers, m.listenIns, m.packets} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}
