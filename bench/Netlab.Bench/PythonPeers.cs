using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Netlab.Bench;

/// <summary>The handout's Python server and a handout-style Python client (tests/peers).</summary>
public sealed partial class PythonPeers
{
    private readonly string serverScript;
    private readonly string clientScript;

    private PythonPeers(string interpreter, string version, string serverScript, string clientScript)
    {
        Interpreter = interpreter;
        Version = version;
        this.serverScript = serverScript;
        this.clientScript = clientScript;
    }

    /// <summary>The interpreter's own path: a version-manager shim in front of it would add its start-up to every client run.</summary>
    public string Interpreter { get; }

    public string Version { get; }

    public static async Task<PythonPeers> LocateAsync(string python, string peersDirectory)
    {
        var serverScript = Path.GetFullPath(Path.Combine(peersDirectory, "udp_pinger_server.py"));
        var clientScript = Path.GetFullPath(Path.Combine(peersDirectory, "udp_pinger_client.py"));
        foreach (var script in new[] { serverScript, clientScript })
        {
            if (!File.Exists(script))
                throw new FileNotFoundException($"{script} not found; pass --peers with the folder of the handout's Python peers.", script);
        }
        var output = await RunToEndAsync(python, ["-c", "import platform, sys; print(sys.executable); print(platform.python_version())"]);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2)
            throw new InvalidOperationException($"Could not ask {python} for its path and version; it printed '{output}'.");
        return new PythonPeers(lines[0], lines[1], serverScript, clientScript);
    }

    /// <summary>udp_pinger_server.py without loss, on any free port of 127.0.0.1.</summary>
    public Task<PeerProcess> StartServerAsync() =>
        PeerProcess.StartAsync("Python server", Interpreter, ["-u", serverScript, "0", "--loss", "0"], stopsAtEndOfInput: false);

    /// <summary>Runs udp_pinger_client.py to completion; returns the RTTs (ms) it printed, in order.</summary>
    public async Task<IReadOnlyList<double>> RunClientAsync(IPEndPoint server, int count, TimeSpan timeout)
    {
        var output = await RunToEndAsync(Interpreter,
        [
            clientScript, server.Address.ToString(), server.Port.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture),
            "--timeout", timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        ]);
        return [.. ReplyLine().Matches(output).Select(m => double.Parse(m.Groups["seconds"].ValueSpan, CultureInfo.InvariantCulture) * 1000)];
    }

    private static async Task<string> RunToEndAsync(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments) { UseShellExecute = false, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{fileName} {string.Join(' ', start.ArgumentList)} exited with code {process.ExitCode}.");
        return output;
    }

    // "Reply from 127.0.0.1: PING 7 1732200000.123456 RTT = 0.000123 s"
    [GeneratedRegex(@"^Reply from .* RTT = (?<seconds>[0-9.]+) s$", RegexOptions.Multiline)]
    private static partial Regex ReplyLine();
}
