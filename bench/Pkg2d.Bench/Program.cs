using Pkg2d.Bench;

// Each mode appends markdown table rows to the file named by its second argument; bench/run gathers them.
if (args.Length == 2 && args[0] == "minirepo")
{
    MinirootfsRepo.Write(args[1]);
    return 0;
}
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Pkg2d.Bench micro|cpu|peak|fetch|export ROWS_FILE | minirepo DIR");
    return 2;
}
var rows = new ResultRows(args[1]);
switch (args[0])
{
    case "micro":
        MicroBenchmarks.Run(rows);
        return 0;
    case "cpu":
        CpuTime.Run(rows);
        return 0;
    case "peak":
        PeakMemory.Run(rows);
        return 0;
    case "fetch":
        await FetchThroughput.RunAsync(rows);
        return 0;
    case "export":
        await ExportInProcess.RunAsync(rows);
        return 0;
    default:
        Console.Error.WriteLine($"unknown mode '{args[0]}': expected micro, cpu, peak, fetch or export");
        return 2;
}
