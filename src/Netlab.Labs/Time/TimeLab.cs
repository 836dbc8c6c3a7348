using Netlab.Labs.Core;

namespace Netlab.Labs.Time;

/// <summary>The time lab as the portal offers it: its server, probe and own events.</summary>
public static class TimeLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "time",
        "Time Server",
        "A TCP time server answering reqtime (with a clock off by an offset and a drift you choose), and a client that estimates the clock offset the Cristian way.",
        "Handout 001, Exercise 9-1: time server and client",
        new ServerKind("time", typeof(TimeServerOptions),
            (options, context) => new TimeServer((TimeServerOptions)options, context)),
        [
            new ProbeKind("time-sync", "Time client (Cristian)", typeof(TimeSyncOptions),
                (options, environment) => new TimeSyncProbe((TimeSyncOptions)options, environment.Time)),
            new ProbeKind("time-grade", "Server grader", typeof(TimeServerGraderOptions),
                (options, environment) => new TimeServerGrader((TimeServerGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<TimeRequestSeen>("timeRequestSeen"),
            EventKind.Of<TimeEstimate>("timeEstimate"),
        ],
    };
}
