// The StakeBasket's functions, events and errors the investor page uses (contracts/src/etf).
import { BaseError, ContractFunctionRevertedError, parseAbi } from "viem";

export const basketAbi = parseAbi([
  "function deposit(uint256 minShares) payable returns (uint256 shares)",
  "function depositCoreBTC(uint256 amount, uint256 minShares) returns (uint256 shares)",
  "function coreBTC() view returns (address)",
  "function withdraw(uint256 shares, uint8 asset, uint256 minAmountOut) returns (uint256 amount, uint256 requestId)",
  "function claimWithdrawal(uint256 id)",
  "function navPerShare() view returns (uint256)",
  "function instantWithdrawalCapacity() view returns (uint256 coreShares, uint256 coreBtcShares)",
  "struct AumBreakdown { uint256 corePrice; uint256 btcPrice; uint256 coreStakedUsd; uint256 lstBtcUsd; uint256 rewardsUsd; uint256 liquidityUsd; uint256 queuedLiabilityUsd; uint256 totalUsd; }",
  "function aumBreakdown() view returns (AumBreakdown)",
  "event Deposited(address indexed user, uint8 asset, uint256 amount, uint256 valueUsd, uint256 shares, uint256 navPerShare)",
  "event Withdrawn(address indexed user, uint8 asset, uint256 shares, uint256 amount, uint256 valueUsd, uint256 navPerShare)",
  "event WithdrawalQueued(address indexed user, uint256 indexed requestId, uint8 asset, uint256 shares, uint256 amount, uint256 valueUsd)",
  "event WithdrawalClaimed(address indexed user, uint256 indexed requestId, uint8 asset, uint256 amount)",
  "error ZeroAmount()",
  "error ZeroShares()",
  "error SlippageExceeded(uint256 got, uint256 minimum)",
  "error InsufficientLiquidity(uint8 asset, uint256 requested, uint256 available)",
  "error UnknownRequest(uint256 id)",
  "error AlreadyClaimed(uint256 id)",
  "error NotReady(uint256 id, uint64 readyAt)",
  "error InsufficientFunding(uint256 id, uint256 needed, uint256 available)",
  "error EnforcedPause()",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error StalePrice(bytes32 symbol, uint8 source, uint256 updatedAt, uint256 maxAge)",
  "error SourceUnavailable(bytes32 symbol, uint8 source)",
  "error PriceOutOfBounds(bytes32 symbol, uint8 source, uint256 price, uint256 min, uint256 max)",
  "error PriceTooUncertain(bytes32 symbol, uint256 price, uint256 conf, uint16 maxConfBps)",
]);

export const tokenAbi = parseAbi(["function balanceOf(address) view returns (uint256)"]);

/** coreBTC (8 decimals): the basket pulls it with transferFrom, so the investor approves first;
 * the devnet's MockCoreBTC also lets anyone mint (a faucet for the test accounts). */
export const coreBtcAbi = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function mint(address to, uint256 amount)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
]);

export const queueAbi = parseAbi([
  "function positionOf(uint256 id) view returns (uint256)",
  "function estimatedWait(uint256 id) view returns (uint256)",
]);

const WORDS: Record<string, (args: readonly unknown[]) => string> = {
  ZeroAmount: () => "The amount is zero: enter an amount greater than 0.",
  ZeroShares: () => "Enter a number of BASKET greater than 0.",
  SlippageExceeded: () => "The price moved while you confirmed: you would get less than your minimum. Try again.",
  InsufficientLiquidity: () => "The basket does not hold enough of that asset right now.",
  UnknownRequest: (a) => `There is no withdrawal request #${a[0]}.`,
  AlreadyClaimed: (a) => `Withdrawal request #${a[0]} has already been claimed.`,
  NotReady: (a) => `Withdrawal request #${a[0]} is not ready yet: it unlocks at ${new Date(Number(a[1]) * 1000).toLocaleString()}.`,
  InsufficientFunding: (a) => `Withdrawal request #${a[0]} is ready but the basket has not freed enough liquidity yet; try later.`,
  EnforcedPause: () => "The StakeBasket is paused by its operators: deposits and withdrawals are stopped for now.",
  ERC20InsufficientBalance: () => "You do not hold that much of the token (BASKET or coreBTC).",
  ERC20InsufficientAllowance: () => "The basket may not take that much coreBTC yet: approve it first.",
  StalePrice: () => "The basket's price feed is stale, so it cannot value your deposit right now. Try again shortly.",
  SourceUnavailable: () => "The basket's price feed is unavailable right now. Try again shortly.",
  PriceOutOfBounds: () => "The basket's price feed reports a price out of its bounds; deposits and withdrawals wait for it.",
  PriceTooUncertain: () => "The basket's price feed is too uncertain right now; try again shortly.",
};

/** A contract error in words (a revert decoded by its name), else the wallet's short message. */
export function inWords(err: unknown): string {
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? "";
      const words = WORDS[name];
      if (words) return words(revert.data?.args ?? []);
      if (revert.reason) return `The contract refused: ${revert.reason}.`;
    }
    if (/insufficient funds/i.test(err.message)) return "Your account does not have enough CORE for this amount and its gas.";
    if (/rejected/i.test(err.message)) return "You rejected the transaction in your wallet.";
    return err.shortMessage;
  }
  return err instanceof Error ? err.message : String(err);
}
