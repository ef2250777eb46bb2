// The investor's journey (StakeBasket seed): connect, deposit CORE or coreBTC, hold BASKET, withdraw, claim.
import { useCallback, useEffect, useMemo, useState } from "react";
import {
  Address, Chain, createPublicClient, createWalletClient, custom, defineChain, formatUnits, http,
  parseEther, parseEventLogs, parseUnits, PublicClient, WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getJson } from "../api";
import { basketAbi, coreBtcAbi, inWords, queueAbi, tokenAbi } from "../chain";
import * as f from "../format";
import { Stat } from "../ui";

interface Devnet {
  chain_id: number; rpc_url: string;
  stake_basket: Address; token: Address; unbonding_queue: Address;
  test_accounts: { label: string; address: Address; private_key: `0x${string}` }[];
}
interface Eip1193 { request(args: { method: string; params?: unknown[] }): Promise<unknown> }
interface Session { address: Address; wallet: WalletClient; chain: Chain }
interface Queued { id: bigint; position: bigint; wait: bigint; amount: string }

const E18 = 10n ** 18n;
// the basket's asset index (EtfTypes.Asset): 0 CORE native, 1 coreBTC (ERC-20, 8 decimals)
const ASSETS = [{ unit: "CORE", decimals: 18, example: "10" }, { unit: "coreBTC", decimals: 8, example: "0.01" }] as const;
const FAUCET_BTC = 10n ** 7n; // 0.1 coreBTC from the devnet's MockCoreBTC

export function Invest() {
  const [devnet, setDevnet] = useState<Devnet | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [nav, setNav] = useState<bigint | null>(null);
  const [corePrice, setCorePrice] = useState<bigint | null>(null);
  const [btcPrice, setBtcPrice] = useState<bigint | null>(null);
  const [coreBtc, setCoreBtc] = useState<Address | null>(null);
  const [btcBalance, setBtcBalance] = useState<bigint | null>(null);
  const [depositAsset, setDepositAsset] = useState<0 | 1>(0);
  const [balance, setBalance] = useState<bigint | null>(null);
  const [capacity, setCapacity] = useState<readonly [bigint, bigint] | null>(null);
  const [depositAmount, setDepositAmount] = useState("10");
  const [withdrawShares, setWithdrawShares] = useState("");
  const [asset, setAsset] = useState(0);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [queued, setQueued] = useState<Queued[]>([]);
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    getJson<Devnet>("/api/v1/devnet", "").then(setDevnet).catch((e: Error) => setLoadError(e.message));
  }, []);
  const chain = useMemo(() => devnet && defineChain({
    id: devnet.chain_id, name: "Ballast devnet", nativeCurrency: { name: "CORE", symbol: "CORE", decimals: 18 },
    rpcUrls: { default: { http: [devnet.rpc_url] } },
  }), [devnet]);
  const reader: PublicClient | null = useMemo(() => chain && createPublicClient({ chain, transport: http() }), [chain]);

  // the basket's figures and the account's balance and requests, on every block
  useEffect(() => {
    if (!reader || !devnet) return;
    const load = async () => {
      const [n, b, cap, btc] = await Promise.all([
        reader.readContract({ address: devnet.stake_basket, abi: basketAbi, functionName: "navPerShare" }),
        reader.readContract({ address: devnet.stake_basket, abi: basketAbi, functionName: "aumBreakdown" }),
        reader.readContract({ address: devnet.stake_basket, abi: basketAbi, functionName: "instantWithdrawalCapacity" }),
        reader.readContract({ address: devnet.stake_basket, abi: basketAbi, functionName: "coreBTC" }),
      ]);
      setNav(n); setCorePrice(b.corePrice); setBtcPrice(b.btcPrice); setCapacity(cap); setCoreBtc(btc);
      if (!session) return;
      const [own, ownBtc] = await Promise.all([
        reader.readContract({ address: devnet.token, abi: tokenAbi, functionName: "balanceOf", args: [session.address] }),
        reader.readContract({ address: btc, abi: coreBtcAbi, functionName: "balanceOf", args: [session.address] }),
      ]);
      setBalance(own); setBtcBalance(ownBtc);
      const logs = await reader.getContractEvents({
        address: devnet.stake_basket, abi: basketAbi, eventName: "WithdrawalQueued",
        args: { user: session.address }, fromBlock: 0n,
      });
      const claimed = new Set((await reader.getContractEvents({
        address: devnet.stake_basket, abi: basketAbi, eventName: "WithdrawalClaimed",
        args: { user: session.address }, fromBlock: 0n,
      })).map((l) => l.args.requestId));
      const open = logs.filter((l) => !claimed.has(l.args.requestId));
      setQueued(await Promise.all(open.map(async (l) => {
        const id = l.args.requestId!;
        const [position, wait] = await Promise.all([
          reader.readContract({ address: devnet.unbonding_queue, abi: queueAbi, functionName: "positionOf", args: [id] }),
          reader.readContract({ address: devnet.unbonding_queue, abi: queueAbi, functionName: "estimatedWait", args: [id] }),
        ]);
        const dec = l.args.asset === 0 ? 18 : 8;
        return { id, position, wait, amount: f.tokens(formatUnits(l.args.amount!, dec), l.args.asset === 0 ? "CORE" : "coreBTC") };
      })));
    };
    load().catch((e) => setError(inWords(e)));
    return reader.watchBlockNumber({ onBlockNumber: () => { load().catch(() => undefined); }, pollingInterval: 1000 });
  }, [reader, devnet, session, refresh]);

  const connectInjected = async () => {
    const eth = (window as unknown as { ethereum?: Eip1193 }).ethereum;
    if (!eth || !chain) { setError("No EIP-1193 wallet found in this browser: use a devnet test account below."); return; }
    const wallet = createWalletClient({ chain, transport: custom(eth) });
    const [address] = await wallet.requestAddresses();
    setSession({ address, wallet, chain });
  };
  const useTestAccount = (key: `0x${string}`) => {
    if (!chain) return;
    const account = privateKeyToAccount(key);
    setSession({ address: account.address, wallet: createWalletClient({ account, chain, transport: http() }), chain });
  };

  // shares = amount × price / NAV, the amount brought to 18 decimals (the contract's own rounding is down)
  const assetPrice = depositAsset === 0 ? corePrice : btcPrice;
  const expectedShares = useMemo(() => {
    try {
      if (!nav || !assetPrice || !depositAmount) return null;
      const units = parseUnits(depositAmount, ASSETS[depositAsset].decimals) * 10n ** BigInt(18 - ASSETS[depositAsset].decimals);
      return (units * assetPrice) / nav;
    } catch { return null; }
  }, [nav, assetPrice, depositAmount, depositAsset]);

  const send = useCallback(async (what: string, run: () => Promise<`0x${string}`>, after?: (logs: ReturnType<typeof parseEventLogs<typeof basketAbi>>) => void) => {
    if (!reader) return;
    setBusy(true); setError(null); setStatus(`${what}: waiting for the transaction…`);
    try {
      const hash = await run();
      const receipt = await reader.waitForTransactionReceipt({ hash });
      const logs = parseEventLogs({ abi: basketAbi, logs: receipt.logs });
      setStatus(`${what}: confirmed in block ${receipt.blockNumber}`);
      after?.(logs);
      setRefresh((n) => n + 1);
    } catch (e) {
      setStatus(null); setError(inWords(e));
    } finally { setBusy(false); }
  }, [reader]);

  const deposit = () => session && devnet && send("Deposit", async () => {
    const account = session.wallet.account ?? session.address;
    const minShares = expectedShares ? (expectedShares * 99n) / 100n : 0n;
    if (depositAsset === 0) {
      const { request } = await reader!.simulateContract({
        account, address: devnet.stake_basket, abi: basketAbi, functionName: "deposit", args: [minShares],
        value: parseEther(depositAmount),
      });
      return session.wallet.writeContract(request);
    }
    // coreBTC: the basket pulls it (transferFrom), so approve the amount first when needed
    if (!coreBtc) throw new Error("The basket's coreBTC address is not known yet.");
    const amount = parseUnits(depositAmount, 8);
    const allowed = await reader!.readContract({
      address: coreBtc, abi: coreBtcAbi, functionName: "allowance", args: [session.address, devnet.stake_basket],
    });
    if (allowed < amount) {
      setStatus("Deposit: approving coreBTC for the basket…");
      const { request } = await reader!.simulateContract({
        account, address: coreBtc, abi: coreBtcAbi, functionName: "approve", args: [devnet.stake_basket, amount],
      });
      await reader!.waitForTransactionReceipt({ hash: await session.wallet.writeContract(request) });
      setStatus("Deposit: coreBTC approved, depositing…");
    }
    const { request } = await reader!.simulateContract({
      account, address: devnet.stake_basket, abi: basketAbi, functionName: "depositCoreBTC", args: [amount, minShares],
    });
    return session.wallet.writeContract(request);
  }, (logs) => {
    const d = logs.find((l) => l.eventName === "Deposited");
    if (d && d.eventName === "Deposited") {
      const a = ASSETS[d.args.asset === 0 ? 0 : 1];
      setStatus(`Deposited ${f.tokens(formatUnits(d.args.amount, a.decimals), a.unit, 8)}: minted ${f.tokens(formatUnits(d.args.shares, 18), "BASKET")}`);
    }
  });

  // the devnet's MockCoreBTC mints to anyone: test accounts get coreBTC to deposit
  const faucet = () => session && coreBtc && send("Test coreBTC", async () => {
    const { request } = await reader!.simulateContract({
      account: session.wallet.account ?? session.address, address: coreBtc, abi: coreBtcAbi,
      functionName: "mint", args: [session.address, FAUCET_BTC],
    });
    return session.wallet.writeContract(request);
  });
  const onDevnet = (devnet?.test_accounts.length ?? 0) > 0;

  const withdraw = () => session && devnet && send("Withdrawal", async () => {
    const { request } = await reader!.simulateContract({
      account: session.wallet.account ?? session.address, address: devnet.stake_basket, abi: basketAbi,
      functionName: "withdraw", args: [parseEther(withdrawShares || "0"), asset, 0n],
    });
    return session.wallet.writeContract(request);
  }, (logs) => {
    const paid = logs.find((l) => l.eventName === "Withdrawn");
    const q = logs.find((l) => l.eventName === "WithdrawalQueued");
    if (paid && paid.eventName === "Withdrawn") setStatus(`Paid instantly: ${f.tokens(formatUnits(paid.args.amount, paid.args.asset === 0 ? 18 : 8), paid.args.asset === 0 ? "CORE" : "coreBTC")}`);
    if (q && q.eventName === "WithdrawalQueued") setStatus(`Queued as request #${q.args.requestId}: see its position and wait below`);
  });

  const claim = (id: bigint) => session && devnet && send(`Claim #${id}`, async () => {
    const { request } = await reader!.simulateContract({
      account: session.wallet.account ?? session.address, address: devnet.stake_basket, abi: basketAbi,
      functionName: "claimWithdrawal", args: [id],
    });
    return session.wallet.writeContract(request);
  });

  const capShares = capacity ? capacity[asset] : null;
  const askShares = (() => { try { return parseEther(withdrawShares || "0"); } catch { return 0n; } })();
  return (
    <>
      <section className="card">
        <h2>Wallet</h2>
        {loadError && <p className="error">No chain configuration from the gateway ({loadError}).</p>}
        {session ? (
          <p>Connected: <span className="mono" data-testid="account">{session.address}</span></p>
        ) : (
          <div className="row wrap">
            <button type="button" onClick={() => connectInjected().catch((e) => setError(inWords(e)))}>Connect wallet</button>
            {devnet?.test_accounts.map((a) => (
              <button type="button" key={a.address} onClick={() => useTestAccount(a.private_key)}>Use {a.label}</button>
            ))}
          </div>
        )}
        <div className="stats">
          <Stat label="NAV per share" testId="nav-per-share" value={nav != null ? f.price(formatUnits(nav, 18)) : "—"} />
          <Stat label="Your BASKET" testId="basket-balance" value={balance != null ? f.tokens(formatUnits(balance, 18), "BASKET") : "—"} />
          <Stat label="Your coreBTC" testId="corebtc-balance" value={btcBalance != null ? f.tokens(formatUnits(btcBalance, 8), "coreBTC", 8) : "—"} />
          <Stat label="Value" value={balance != null && nav != null ? f.usd(formatUnits((balance * nav) / E18, 18)) : "—"} />
        </div>
      </section>
      <section className="card">
        <h2>Deposit CORE or coreBTC</h2>
        <label>Asset <select value={depositAsset} data-testid="deposit-asset" onChange={(e) => {
          const a = Number(e.target.value) === 1 ? 1 : 0;
          setDepositAsset(a); setDepositAmount(ASSETS[a].example);
        }}>
          <option value={0}>CORE</option><option value={1}>coreBTC</option>
        </select></label>
        <label>Amount ({ASSETS[depositAsset].unit}) <input inputMode="decimal" data-testid="deposit-amount" value={depositAmount} onChange={(e) => setDepositAmount(e.target.value)} /></label>
        <p data-testid="deposit-preview">
          At {nav != null ? f.price(formatUnits(nav, 18)) : "—"} per share and {ASSETS[depositAsset].unit} at {assetPrice != null ? f.price(formatUnits(assetPrice, 18)) : "—"}:
          about {expectedShares != null ? f.tokens(formatUnits(expectedShares, 18), "BASKET") : "—"} minted (at least 99% of it, or the deposit reverts).
          {depositAsset === 1 && " The basket takes coreBTC by allowance: the page asks you to approve it first when needed."}
        </p>
        <div className="row wrap">
          <button type="button" disabled={!session || busy} onClick={deposit}>Deposit</button>
          {depositAsset === 1 && onDevnet && (
            <button type="button" disabled={!session || busy || !coreBtc} onClick={faucet}>Get 0.1 test coreBTC</button>
          )}
        </div>
      </section>
      <section className="card">
        <h2>Withdraw</h2>
        <label>BASKET <input inputMode="decimal" data-testid="withdraw-shares" value={withdrawShares} onChange={(e) => setWithdrawShares(e.target.value)} /></label>
        <button type="button" disabled={!balance} onClick={() => balance && setWithdrawShares(formatUnits(balance, 18))}>Max</button>
        <label>Paid in <select value={asset} data-testid="withdraw-asset" onChange={(e) => setAsset(Number(e.target.value))}>
          <option value={0}>CORE</option><option value={1}>coreBTC</option>
        </select></label>
        <p data-testid="withdraw-preview">
          {capShares == null ? "—" : askShares > capShares
            ? `Queued: more than the ${f.tokens(formatUnits(capShares, 18), "BASKET")} the buffer pays instantly; you claim after unbonding.`
            : `Instant: the buffer pays up to ${f.tokens(formatUnits(capShares, 18), "BASKET")} now.`}
        </p>
        <button type="button" disabled={!session || busy} onClick={withdraw}>Request withdrawal</button>
      </section>
      {(status || error) && (
        <section className="card" role="status">
          {status && <p data-testid="tx-status">{status}</p>}
          {error && <p className="error" data-testid="tx-error">{error}</p>}
        </section>
      )}
      <section className="card">
        <h2>Your queued withdrawals</h2>
        {queued.length === 0 && <p className="muted">None.</p>}
        <ul data-testid="queued">
          {queued.map((q) => (
            <li key={String(q.id)}>
              Request #{String(q.id)}: {q.amount}, position {String(q.position)} in line, {q.wait > 0n ? `expected wait ${f.duration(Number(q.wait))}` : "ready"}
              {q.wait === 0n && <>{" "}<button type="button" disabled={busy} onClick={() => claim(q.id)}>Claim</button></>}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
