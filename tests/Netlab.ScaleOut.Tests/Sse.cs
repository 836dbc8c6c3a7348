using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests.ScaleOut;

/// <summary>Reads a Server-Sent Events response as a browser's EventSource would: each event's data as JSON, until the server ends the stream.</summary>
public static class Sse
{
    public static async IAsyncEnumerable<JsonObject> ReadAsync(HttpClient client, string url, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        // The body only when it failed: a stream's body never ends.
        if (!response.IsSuccessStatusCode)
            Assert.Fail($"{url}: {response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var data = new System.Text.StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data:"))
                data.Append(line.AsSpan(5).TrimStart(' '));
            else if (line.Length == 0 && data.Length > 0)
            {
                yield return JsonNode.Parse(data.ToString())!.AsObject();
                data.Clear();
            }
        }
    }
}
