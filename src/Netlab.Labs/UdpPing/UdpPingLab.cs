using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

/// <summary>The udp-ping lab as the portal offers it: its server, probes and own events.</summary>
public static class UdpPingLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "udp-ping",
        "UDP Pinger",
        "A ping client over UDP against a server that simulates packet loss: RTTs, timeouts, loss and statistics.",
        "Handout 000, Socket Programming Assignment 2: UDP",
        new ServerKind("udp-ping", typeof(UdpPingServerOptions),
            (options, context) => new UdpPingServer((UdpPingServerOptions)options, context.EndPoint, context.Events, context.Time)),
        [
            new ProbeKind("udp-ping", "Ping client", typeof(UdpPingProbeOptions),
                (options, environment) => new UdpPingProbe((UdpPingProbeOptions)options, environment.Time)),
            new ProbeKind("udp-ping-grade", "Server grader", typeof(UdpPingServerGraderOptions),
                (options, environment) => new UdpPingServerGrader((UdpPingServerGraderOptions)options, environment)),
            new ProbeKind("udp-ping-client-grade", "Client grader", typeof(UdpPingClientGraderOptions),
                (options, environment) => new UdpPingClientGrader((UdpPingClientGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<DatagramSeen>("datagramSeen"),
        ],
    };
}
