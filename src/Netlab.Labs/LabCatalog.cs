using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs;

/// <summary>Every lab the portal offers. A new lab adds its folder and one entry here.</summary>
public static class LabCatalog
{
    public static IReadOnlyList<LabDefinition> All { get; } =
    [
        new LabDefinition(
            "udp-ping",
            "UDP Pinger",
            "A ping client over UDP against a server that simulates packet loss: RTTs, timeouts, loss and statistics.",
            "Handout 000, Socket Programming Assignment 2: UDP",
            new ServerKind("udp-ping", typeof(UdpPingServerOptions),
                (options, endpoint, events) => new UdpPingServer((UdpPingServerOptions)options, endpoint, events)),
            new ProbeKind("udp-ping", typeof(UdpPingProbeOptions),
                options => new UdpPingProbe((UdpPingProbeOptions)options))),
    ];

    public static LabDefinition? Find(string? id) => All.FirstOrDefault(l => string.Equals(l.Id, id, StringComparison.OrdinalIgnoreCase));

    public static ProbeKind? FindProbe(string? id) => All.Select(l => l.Probe).FirstOrDefault(p => p is not null && string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));

    public static LabDefinition? LabOfProbe(string probeId) => All.FirstOrDefault(l => l.Probe?.Id == probeId);
}
