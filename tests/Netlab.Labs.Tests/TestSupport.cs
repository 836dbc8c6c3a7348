using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Tests;

/// <summary>Collects a probe's events the way the portal's consumers see them.</summary>
public sealed class ListSink : IEventSink
{
    private readonly EventStream stream = new("test");
    private readonly List<LabEvent> events = [];

    public void Emit(LabEvent e)
    {
        stream.Emit(e);
        while (stream.Reader.TryRead(out var stamped))
            lock (events) events.Add(stamped);
    }

    public IReadOnlyList<LabEvent> Events { get { lock (events) return [.. events]; } }

    public IReadOnlyList<T> Of<T>() where T : LabEvent => Events.OfType<T>().ToList();
}

public static class Loopback
{
    public static IPEndPoint AnyPort => new(IPAddress.Loopback, 0);

    public static ProbeTarget Target(IPEndPoint endpoint) => new("127.0.0.1", IPAddress.Loopback, endpoint.Port);

    /// <summary>Drains a server's events in the background, as the portal does, and keeps them.</summary>
    public static Task<List<LabEvent>> DrainAsync(EventStream events) => Task.Run(async () =>
    {
        var all = new List<LabEvent>();
        await foreach (var e in events.Reader.ReadAllAsync())
            lock (all) all.Add(e);
        return all;
    });

    /// <summary>Sends one datagram and waits for one reply, or null after the timeout.</summary>
    public static async Task<byte[]?> ExchangeAsync(Socket client, IPEndPoint server, byte[] payload, int timeoutMs = 2000)
    {
        await client.SendToAsync(payload, SocketFlags.None, server);
        var buffer = new byte[70_000];
        using var timeout = new CancellationTokenSource(timeoutMs);
        try
        {
            var result = await client.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            return buffer[..result.ReceivedBytes];
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public static Socket UdpClient()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(AnyPort);
        return s;
    }
}

/// <summary>A Python peer from tests/peers, run as a real process.</summary>
public sealed class PythonPeer : IAsyncDisposable
{
    private readonly Process process;

    private PythonPeer(Process process) => this.process = process;

    public static string PeerPath(string script) => Path.Combine(AppContext.BaseDirectory, "peers", script);

    public static PythonPeer Start(string script, params string[] args)
    {
        var info = new ProcessStartInfo(Tool.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(PeerPath(script));
        foreach (var a in args) info.ArgumentList.Add(a);
        return new PythonPeer(Process.Start(info) ?? throw new InvalidOperationException("python3 did not start"));
    }

    public Task<string?> ReadLineAsync() => process.StandardOutput.ReadLineAsync();

    public async Task<(int ExitCode, string Output, string Error)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var output = process.StandardOutput.ReadToEndAsync(cts.Token);
        var error = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await output, await error);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}

/// <summary>A command-line peer (swaks, curl, python3 ...) run to completion.</summary>
public static class Tool
{
    /// <summary>Debian's interpreter, which has the apt-installed modules (aiosmtpd, pyftpdlib); a pyenv one on PATH may not.</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string file, IEnumerable<string> args, string? input = null, int timeoutMs = 30_000, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false };
        if (workingDirectory is not null)
            info.WorkingDirectory = workingDirectory;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeoutMs);
        var output = process.StandardOutput.ReadToEndAsync(cts.Token);
        var error = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Runs a Python script given inline with Debian's interpreter.</summary>
    public static Task<(int ExitCode, string Output, string Error)> PythonAsync(string script, params string[] args) =>
        RunAsync(Python, ["-c", script, .. args]);
}

/// <summary>A stream that hands out one byte per read, like the slowest TCP peer: for feeding line readers and parsers.</summary>
public sealed class TrickleStream(byte[] data) : MemoryStream(data)
{
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
}

/// <summary>
/// A fake clock that also says which timers the code under test has set, so a test can advance
/// it exactly when the server is waiting (e.g. once the keep-alive timeout is armed).
/// </summary>
public sealed class TestClock : Microsoft.Extensions.Time.Testing.FakeTimeProvider
{
    private readonly List<TimeSpan> set = [];

    /// <summary>How many times a timer has been set to fire <paramref name="due"/> from when it was set.</summary>
    public int TimesSet(TimeSpan due)
    {
        lock (set) return set.Count(d => d == due);
    }

    /// <summary>Waits until a timer has been set to <paramref name="due"/> at least <paramref name="count"/> times in all.</summary>
    public Task SetAsync(TimeSpan due, int count = 1) => Eventually.UntilAsync(() => TimesSet(due) >= count, $"a timer of {due.TotalMilliseconds} ms (set {count} times)");

    /// <summary>
    /// Advances the clock <paramref name="step"/> at a time, letting other threads react between
    /// steps, until <paramref name="condition"/> holds: for code whose reaction to time is async.
    /// </summary>
    public Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, string what) =>
        Eventually.UntilAsync(() =>
        {
            if (condition())
                return true;
            Advance(step);
            return false;
        }, what);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Observed(base.CreateTimer(callback, state, dueTime, period), this);
        Record(dueTime);
        return timer;
    }

    private void Record(TimeSpan due)
    {
        if (due != Timeout.InfiniteTimeSpan)
            lock (set) set.Add(due);
    }

    private sealed class Observed(ITimer inner, TestClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            clock.Record(dueTime); // after the change: once a test sees it, the timer is armed
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
