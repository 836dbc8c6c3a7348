using System.Diagnostics;
using System.Globalization;

namespace Netlab.Bench;

/// <summary>
/// A UDP server in its own process that announces its port as <c>PORT n</c> on its first line of
/// output, like the handout's Python server made testable. Kept as a process of its own so that
/// its CPU time can be read and it never shares a thread pool with the load generator.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly Process process;
    private readonly bool stopsAtEndOfInput;

    private PeerProcess(string name, Process process, int port, bool stopsAtEndOfInput)
    {
        Name = name;
        this.process = process;
        Port = port;
        this.stopsAtEndOfInput = stopsAtEndOfInput;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>CPU time the process has used so far, all threads.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <param name="stopsAtEndOfInput">True when closing its stdin stops it cleanly; otherwise it is killed.</param>
    public static async Task<PeerProcess> StartAsync(string name, string fileName, IEnumerable<string> arguments, bool stopsAtEndOfInput)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name} ({fileName}).");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(StartTimeout);
            if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal)
                || !int.TryParse(line.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                throw new InvalidOperationException($"{name} did not announce its port; its first line was '{line}'.");
            return new PeerProcess(name, process, port, stopsAtEndOfInput);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (stopsAtEndOfInput)
        {
            process.StandardInput.Close();
            using var grace = new CancellationTokenSource(StopGrace);
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
        else if (!process.HasExited)
        {
            process.Kill();
        }
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
