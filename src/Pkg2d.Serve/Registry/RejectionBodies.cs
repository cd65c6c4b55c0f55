using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Pkg2d.Serve.Registry;

/// <summary>
/// Gives the requests Kestrel refuses before any handler runs (a malformed request line, a NUL in the path, headers
/// too large) the registry's JSON error body. Kestrel answers those itself with a bodiless HTTP/1.x status and
/// `Connection: close`, then ends the connection; this connection middleware forwards everything Kestrel writes,
/// holding back only a response head of that exact shape until it knows nothing follows it, and then sends it with
/// the body. HTTP/2 frames never have that shape and pass untouched.
/// </summary>
internal static class RejectionBodies
{
    private static readonly byte[] StatusLineStart = "HTTP/1."u8.ToArray();
    private static readonly byte[] NoBody = "\r\nContent-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] Closing = "\r\nConnection: close\r\n"u8.ToArray();
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>The longest head of a rejection (status line and Kestrel's three headers), with room to spare.</summary>
    private const int MaxRejectionHead = 512;

    public static void UseOn(ListenOptions listen) => listen.Use(next => async connection =>
    {
        var transport = connection.Transport;
        var responses = new Pipe(new PipeOptions(useSynchronizationContext: false));
        connection.Transport = new Duplex(transport.Input, responses.Writer);
        var forwarding = ForwardAsync(responses.Reader, transport.Output);
        try
        {
            await next(connection);
        }
        finally
        {
            await responses.Writer.CompleteAsync();
            await forwarding;
            connection.Transport = transport;
        }
    });

    private static async Task ForwardAsync(PipeReader responses, PipeWriter output)
    {
        try
        {
            while (true)
            {
                var result = await responses.ReadAsync();
                var buffer = result.Buffer;
                // A rejection is the last thing on its connection: only the end of what is pending can be one.
                var tail = RejectionTail(buffer);
                var before = tail is { } start ? buffer.Slice(0, start) : buffer;
                foreach (var segment in before)
                    await output.WriteAsync(segment);
                if (tail is { } held)
                {
                    if (!result.IsCompleted)
                    {
                        // Possibly a rejection: wait to see whether the connection ends with it.
                        responses.AdvanceTo(buffer.GetPosition(held), buffer.End);
                        continue;
                    }
                    await output.WriteAsync(WithBody(buffer.Slice(held).ToArray()));
                }
                responses.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionResetException or InvalidOperationException)
        {
            // The client went away: nothing more to forward.
        }
        finally
        {
            await responses.CompleteAsync();
            await output.CompleteAsync();
        }
    }

    /// <summary>
    /// Where a bodiless HTTP/1.x error head that closes the connection starts, when the pending bytes end with one;
    /// else null.
    /// </summary>
    private static long? RejectionTail(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, MaxRejectionHead);
        if (length < 16)
            return null;
        Span<byte> end = stackalloc byte[length];
        buffer.Slice(buffer.Length - length).CopyTo(end);
        if (!end.EndsWith(HeadEnd))
            return null;
        var start = end.LastIndexOf(StatusLineStart);
        if (start < 0)
            return null;
        var head = end[start..];
        return head.Length > 12 && head[9] is (byte)'4' or (byte)'5' && head.IndexOf(NoBody) > 0 && head.IndexOf(Closing) > 0
            && head.IndexOf(HeadEnd) == head.Length - HeadEnd.Length
            ? buffer.Length - length + start
            : null;
    }

    /// <summary>The head with a JSON body: its status kept, `Content-Length: 0` replaced by the body's type and length.</summary>
    private static byte[] WithBody(byte[] head)
    {
        var text = Encoding.ASCII.GetString(head);
        var status = int.TryParse(text.AsSpan(9, 3), out var code) ? code : 400;
        var body = new RegistryError(status, "UNSUPPORTED", "the request could not be read",
            $"HTTP {status}: the request line or headers are malformed or too large").ToJson();
        var rewritten = text.Replace("\r\nContent-Length: 0\r\n", $"\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n", StringComparison.Ordinal);
        return [.. Encoding.ASCII.GetBytes(rewritten), .. body];
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
