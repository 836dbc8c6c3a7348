using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

/// <summary>The heartbeat lab as the portal offers it: its server, probes and own events.</summary>
public static class HeartbeatLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "heartbeat",
        "UDP Heartbeat",
        "A client sends numbered, timestamped heartbeats; the server reports one-way delay, lost, duplicate and reordered heartbeats, and notices when a client stops and resumes.",
        "Handout 000, Assignment 2, optional exercise 2: UDP Heartbeat",
        new ServerKind("heartbeat", typeof(HeartbeatServerOptions),
            (options, context) => new HeartbeatServer((HeartbeatServerOptions)options, context.EndPoint, context.Events, context.Time)),
        [
            new ProbeKind("heartbeat-client", "Heartbeat client", typeof(HeartbeatClientOptions),
                (options, environment) => new HeartbeatClient((HeartbeatClientOptions)options, environment)),
            new ProbeKind("heartbeat-client-grade", "Client grader", typeof(HeartbeatClientGraderOptions),
                (options, environment) => new HeartbeatClientGrader((HeartbeatClientGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<HeartbeatSent>("heartbeatSent"),
            EventKind.Of<HeartbeatReceived>("heartbeatReceived"),
            EventKind.Of<HeartbeatGap>("heartbeatGap"),
        ],
    };
}
