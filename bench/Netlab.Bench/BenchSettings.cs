using System.Globalization;

namespace Netlab.Bench;

/// <summary>What the UDP pinger benchmark runs; every value can be set as <c>--name value</c>.</summary>
public sealed record BenchSettings
{
    /// <summary>Rounds of each comparison; within a round the two sides run one after the other.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Pings per RTT run, for the Netlab probe and the Python client alike.</summary>
    public int Pings { get; init; } = 1000;

    /// <summary>Concurrent ping-pong sockets of the throughput load generator.</summary>
    public int Clients { get; init; } = 16;

    /// <summary>How long each throughput run lasts.</summary>
    public double DurationSeconds { get; init; } = 5;

    /// <summary>How long a load-generator socket waits for a reply before it counts a timeout and sends the next ping.</summary>
    public int LoadTimeoutMs { get; init; } = 200;

    /// <summary>Folder holding udp_pinger_server.py and udp_pinger_client.py.</summary>
    public string PeersDirectory { get; init; } = Path.Combine("tests", "peers");

    public string Python { get; init; } = "python3";

    public const string Usage = """
        usage: Netlab.Bench [options]            run the UDP pinger benchmark, markdown to stdout
               Netlab.Bench serve                host a Netlab UDP ping server (loss 0); prints PORT <n>, stops at end of stdin
               Netlab.Bench serve-http ROOT      host the Netlab web server on ROOT; prints PORT <n>, stops at end of stdin,
                                                 then prints EVENTS lines: responses by status, warnings and errors (bench/http.sh)
               Netlab.Bench serve-dns ROOT ZONE  host the Netlab DNS server (UDP and TCP) with the zone file ZONE under ROOT;
                                                 prints PORT <n>, stops at end of stdin, then prints EVENTS lines: queries by
                                                 transport and response code, errors (bench/dns.sh)

        options (defaults in brackets):
          --rounds N            alternating rounds of each comparison [3]
          --pings N             pings per RTT run [1000]
          --clients N           concurrent load-generator sockets [16]
          --duration S          seconds per throughput run [5]
          --load-timeout-ms MS  load-generator reply timeout [200]
          --peers DIR           folder of the handout's Python peers [tests/peers]
          --python PATH         Python interpreter [python3]
        """;

    public static BenchSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new BenchSettings();
        for (var i = 0; i < args.Count; i += 2)
        {
            var name = args[i];
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{name} needs a value.");
            settings = name switch
            {
                "--rounds" => settings with { Rounds = Positive(name, value) },
                "--pings" => settings with { Pings = Positive(name, value) },
                "--clients" => settings with { Clients = Positive(name, value) },
                "--duration" => settings with { DurationSeconds = PositiveSeconds(name, value) },
                "--load-timeout-ms" => settings with { LoadTimeoutMs = Positive(name, value) },
                "--peers" => settings with { PeersDirectory = value },
                "--python" => settings with { Python = value },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }
        return settings;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive whole number; got '{value}'.");

    private static double PositiveSeconds(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && double.IsFinite(s)
            ? s
            : throw new ArgumentException($"{name} must be a positive number of seconds; got '{value}'.");
}
