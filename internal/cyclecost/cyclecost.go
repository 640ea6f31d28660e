// Package cyclecost is the cycles cost model shared by the simulator (which
// charges it) and the executors' preflight (which estimates with it), so
// both agree.
//
// Fees are the IC's for a 13-node application subnet (rs/config
// subnet_config.rs; DFINITY's "cycle-costs" page):
//
//   - ingress induction, charged to the call's effective (target) canister
//     when the message is accepted: IngressMessageFee + IngressByteFee per
//     byte of method name and argument;
//   - execution of an update call (including management calls), charged to
//     the target canister: UpdateExecutionFee + InstructionFee per
//     instruction, where the simulator counts one instruction per byte of
//     canister state a snapshot call copies (take: the canister's memory;
//     load: the snapshot; read/upload data: the slice);
//   - storage: StorageFeePerGiBSecond per GiB of memory per second, where
//     memory counts wasm and stable memory, the module, the chunk store
//     and every snapshot.
//
// A canister is frozen when its balance is below its freezing threshold,
// the cycles its memory would burn over its freezing_threshold seconds
// (default DefaultFreezingSeconds, 30 days):
//
//	FreezingThreshold(memory) = memory × StorageFeePerGiBSecond × seconds / 2^30
//
// A call is accepted only when balance − cost ≥ FreezingThreshold(memory
// after the call); otherwise it is rejected with IC0207 CanisterOutOfCycles
// (reject code SYS_TRANSIENT) and nothing is charged. A snapshot adds its
// size to the canister's memory, so it raises the freezing threshold.
//
// The simulator does not burn storage fees as time passes (balances only
// move with calls), so a test's balances are deterministic.
package cyclecost

import "math/big"

// Fees of a 13-node application subnet, in cycles.
const (
	// IngressMessageFee is charged per ingress message.
	IngressMessageFee uint64 = 1_200_000
	// IngressByteFee is charged per byte of method name and argument.
	IngressByteFee uint64 = 2_000
	// UpdateExecutionFee is charged per executed update message.
	UpdateExecutionFee uint64 = 5_000_000
	// InstructionFee is charged per instruction (ten instructions cost 10).
	InstructionFee uint64 = 1
	// StorageFeePerGiBSecond is charged per GiB of memory per second.
	StorageFeePerGiBSecond uint64 = 127_000
	// DefaultFreezingSeconds is the default freezing_threshold setting
	// (30 days).
	DefaultFreezingSeconds uint64 = 2_592_000
)

// Ingress is the induction fee of an ingress message whose method name
// and argument together are payloadBytes long.
func Ingress(payloadBytes uint64) *big.Int {
	return sum(IngressMessageFee, mul(IngressByteFee, payloadBytes))
}

// IngressCall is Ingress for a call of method with arg.
func IngressCall(method string, arg []byte) *big.Int {
	return Ingress(uint64(len(method) + len(arg)))
}

// Execution is the fee of executing an update call that copies dataBytes
// of canister state (zero for calls that copy none).
func Execution(dataBytes uint64) *big.Int {
	return sum(UpdateExecutionFee, mul(InstructionFee, dataBytes))
}

// FreezingThreshold is the balance below which a canister with
// memoryBytes of memory and a freezing_threshold of seconds is frozen.
func FreezingThreshold(memoryBytes, seconds uint64) *big.Int {
	t := mul(memoryBytes, StorageFeePerGiBSecond)
	t.Mul(t, new(big.Int).SetUint64(seconds))
	return t.Rsh(t, 30)
}

// IdleBurnPerDay is the storage fee of memoryBytes over one day.
func IdleBurnPerDay(memoryBytes uint64) *big.Int {
	return FreezingThreshold(memoryBytes, 86_400)
}

// Call is the full fee of one ingress update call of method with an
// argument of argBytes that copies dataBytes of state.
func Call(method string, argBytes, dataBytes uint64) *big.Int {
	c := Ingress(uint64(len(method)) + argBytes)
	return c.Add(c, Execution(dataBytes))
}

// ChunkedTransfer is the fee of moving total bytes of snapshot data in
// calls of method carrying at most chunk bytes each (read data: the
// argument is small, the slice is the data; upload data: the argument
// carries the chunk), with argOverhead bytes of argument per call besides
// any chunk and argCarriesData saying whether the chunk travels in the
// argument (upload) or the reply (download).
func ChunkedTransfer(method string, total, chunk, argOverhead uint64, argCarriesData bool) *big.Int {
	out := new(big.Int)
	if chunk == 0 {
		return out
	}
	for left := total; left > 0; {
		n := min(chunk, left)
		arg := argOverhead
		if argCarriesData {
			arg += n
		}
		out.Add(out, Call(method, arg, n))
		left -= n
	}
	return out
}

func mul(a, b uint64) *big.Int {
	return new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
}

func sum(a uint64, b *big.Int) *big.Int { return b.Add(b, new(big.Int).SetUint64(a)) }
