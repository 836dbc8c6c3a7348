using Netlab.Labs.Core;

namespace Netlab.Labs.Icmp;

/// <summary>The icmp lab as the portal offers it: its server, probes and own events.</summary>
public static class IcmpLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "icmp",
        "ICMP Pinger",
        "Ping with ICMP echo on a raw socket: the checksum, identifier and sequence built by hand, replies and errors parsed out of the IP packet; and traceroute.",
        "Handout 000, Assignment 4: ICMP Pinger",
        null,
        [
            new ProbeKind("icmp-ping", "ICMP ping", typeof(IcmpPingOptions),
                (options, environment) => new IcmpPingProbe((IcmpPingOptions)options, environment.Time)) { UsesPort = false },
            new ProbeKind("traceroute", "Traceroute", typeof(TracerouteOptions),
                (options, environment) => new TracerouteProbe((TracerouteOptions)options, environment.Time)) { UsesPort = false },
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<TracerouteHop>("tracerouteHop"),
        ],
    };
}
