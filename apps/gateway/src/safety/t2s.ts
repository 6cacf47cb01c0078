/**
 * Traditional → simplified Chinese for the characters people use most (a hand-made table of common
 * characters: 531 pairs, each the one-to-one mapping OpenCC's `TSCharacters` gives that character),
 * so a word listed in simplified form also matches its traditional spelling. Characters whose
 * simplification depends on the word (乾, 著) are left out: a rule author lists both forms there.
 *
 * Written as one string of pairs (traditional, simplified), every character in the BMP.
 */
const PAIRS =
  '萬万與与醜丑專专業业東东絲丝兩两嚴严喪丧個个豐丰臨临為为麗丽舉举義义烏乌樂乐喬乔習习鄉乡書书買买亂乱爭争於于虧亏雲云亞亚產产畝亩親亲億亿僅仅從从侖仑倉仓儀仪們们價价眾众優优會会傘伞偉伟傳传傷伤倫伦偽伪體体餘余傭佣俠侠偵侦側侧僑侨儉俭債债傾倾僕仆儲储兒儿兌兑黨党蘭兰關关興兴養养獸兽內内岡冈冊册寫写軍军農农馮冯沖冲決决況况凍冻淨净涼凉減减湊凑幾几鳳凤憑凭凱凯擊击鑿凿劃划劉刘則则剛刚創创刪删別别剎刹劑剂劍剑劇剧勸劝辦办務务動动勵励勁劲勞劳勢势勳勋匯汇區区醫医華华協协單单賣卖盧卢衛卫卻却廠厂廳厅歷历厲厉壓压厭厌參参雙双發发變变敘叙臺台葉叶號号嘆叹嗎吗啟启吳吴員员聽听嗚呜鹹咸響响啞哑喚唤' +
  '國国圖图圓圆聖圣場场壞坏塊块堅坚壇坛壩坝墳坟墜坠壘垒執执報报夢梦頭头夾夹奪夺奮奋獎奖婦妇媽妈孫孙學学寧宁實实審审憲宪寶宝對对尋寻導导將将爾尔塵尘層层屬属歲岁島岛峽峡嶺岭幣币師师帳帐帶带幫帮幹干廣广莊庄慶庆廢废應应開开異异棄弃張张彈弹強强歸归當当錄录徹彻徑径復复後后惡恶悶闷態态總总戀恋懷怀憂忧憶忆戰战戲戏戶户掃扫揚扬擾扰撫抚搶抢護护擔担擁拥擇择擬拟據据擴扩攜携數数斷断時时曠旷顯显晉晋曬晒條条來来楊杨極极構构槍枪樣样標标機机權权橫横檢检樓楼歡欢歐欧殺杀氣气漢汉湯汤溝沟沒没滅灭滿满漁渔潔洁濟济澤泽灣湾災灾點点煉炼熱热燈灯營营爺爷牆墙狀状獨独獄狱獲获猶犹現现環环瑪玛畫画療疗盜盗盡尽監监盤盘睜睁礦矿碼码確确禮礼禍祸離离種种穩稳積积窮穷竊窃筆笔節节範范築筑簡简籃篮類类糧粮緊紧紅红約约級级紀纪純纯紙纸納纳線线練练組组細细終终經经結结給给絕绝統统維维網网綠绿緒绪編编緣缘縣县織织繼继續续罰罚罷罢' +
  '聯联聲声職职聞闻肅肃腦脑脫脱臉脸膽胆艦舰艱艰藝艺蘇苏蘋苹藥药處处蟲虫術术衝冲補补裝装製制複复見见規规視视覺觉覽览觀观觸触計计訂订認认討讨讓让訓训議议記记講讲許许論论設设訪访證证評评識识詞词試试詩诗話话誠诚該该語语說说請请讀读課课誰谁調调談谈謝谢譯译貝贝負负財财責责貨货質质販贩貧贫購购貴贵費费貿贸資资賊贼賓宾賞赏賬账賽赛贊赞贏赢趙赵趕赶跡迹踐践車车軟软轉转輪轮輕轻較较載载輸输辭辞這这連连進进運运過过達达違违遠远適适選选遺遗還还邊边郵邮鄧邓鄭郑釋释裡里鐘钟鋼钢錢钱錯错鍵键鎮镇鐵铁銀银銷销鏡镜長长門门閉闭問问閒闲間间閱阅闆板隊队陽阳陰阴陳陈陸陆際际險险隨随隱隐雖虽雞鸡難难電电靈灵靜静韓韩頁页頂顶項项順顺須须預预領领頻频題题額额顏颜願愿顧顾風风飛飞飯饭飲饮館馆馬马駕驾驗验騎骑驚惊髮发鬥斗魚鱼鮮鲜鳥鸟鴨鸭麥麦黃黄齊齐齒齿龍龙龜龟賭赌屍尸賤贱騙骗詐诈麼么';

/** Traditional code unit → simplified code unit. */
export const T2S: ReadonlyMap<number, number> = (() => {
  const m = new Map<number, number>();
  for (let i = 0; i + 1 < PAIRS.length; i += 2) {
    const t = PAIRS.charCodeAt(i);
    // The first pair for a character wins; a repeated one is a slip in the table, not a second meaning.
    if (!m.has(t)) m.set(t, PAIRS.charCodeAt(i + 1));
  }
  return m;
})();

/** How many traditional characters the table maps (reported in the README). */
export const T2S_SIZE = T2S.size;
